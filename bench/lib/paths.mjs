// Where the benches find the repository and the native CLI they drive.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The native CLI (`npm test` and `npm start` build it in build/native). */
export const CLI = join(ROOT, 'build', 'native', 'neurovec');
