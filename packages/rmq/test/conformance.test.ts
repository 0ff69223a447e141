import { runStreamAdapterConformance } from '@monomyth/testing';
import { inject } from 'vitest';
import { RabbitMqStreamAdapter } from '../src/index.js';

runStreamAdapterConformance(
  'RabbitMQ',
  () => new RabbitMqStreamAdapter({ url: inject('amqpUrl'), connectionName: 'conformance' }),
  { deliveryTimeoutMs: 5000, quietMs: 200 },
);
