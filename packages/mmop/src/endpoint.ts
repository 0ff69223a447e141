/**
 * Where the master listens when nobody says otherwise: its ROUTER binds here, and workers and control clients connect
 * here. The apps offer it as the default of `--bind` / `--master`; the libraries use it when no endpoint is given.
 * Libraries never read the environment (`MONOMYTH_MASTER` is the apps' business).
 */
export const DEFAULT_MASTER_ENDPOINT = 'tcp://127.0.0.1:5555';
