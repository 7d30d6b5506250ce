/** The `pageinfer` command's entry (package.json `bin`): main() is kept importable for tests. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
