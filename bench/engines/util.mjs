import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

// The installed version of a package (from its package.json), or null.
export function packageVersion(pkg) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
  } catch {
    try {
      // Packages without "./package.json" in their exports map.
      const main = require.resolve(pkg);
      let dir = dirname(main);
      for (let i = 0; i < 4; i++, dir = dirname(dir)) {
        try {
          const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
          if (p.name === pkg) return p.version;
        } catch {
          // keep walking up
        }
      }
    } catch {
      // not installed
    }
    return null;
  }
}
