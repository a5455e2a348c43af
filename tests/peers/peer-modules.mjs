// Loads the pinned npm packages of the test peers from where `cargo xtask test` installed them
// (`$MSCONNECT_PEERS_DIR/node`, else `<workspace>/target/peers/node`): this folder holds only the
// manifests, so plain `import 'oidc-provider'` would not find them.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The folder the peers are installed in. */
export function peersDir() {
  return process.env.MSCONNECT_PEERS_DIR || join(here, '..', '..', 'target', 'peers');
}

/** Imports an installed peer package, failing with a message that says how to install it. */
export async function importPeer(name) {
  const nodeDir = join(peersDir(), 'node');
  let resolved;
  try {
    resolved = createRequire(join(nodeDir, 'package.json')).resolve(name);
  } catch {
    process.stderr.write(`cannot find the npm package ${name} in ${nodeDir}: run \`cargo xtask test\`, which installs the test peers\n`);
    process.exit(3);
  }
  return import(pathToFileURL(resolved).href);
}
