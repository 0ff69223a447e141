/** A text to count: a few lines of the original monomyth's README, repeated. */
const LINES = [
  'Monomyth is a distributed data processing system built on top of RabbitMQ and ZeroMQ.',
  'It is modelled on the Broadway library of the Elixir language.',
  'Nodes pull batches of messages from a stream, transform them, and place the results on the next stream.',
  'A master orchestrates the workers, and the workers run the nodes.',
];

export function sampleLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${LINES[i % LINES.length]} line ${i}`);
}
