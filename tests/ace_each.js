// Ace by DAISY over several EPUBs in one Node process and one browser: for each EPUB what
// `ace -f -s -o OUT/<name> EPUB` runs (@daisy/ace-core with the puppeteer axe runner,
// ace-cli's own pair), the browser launched once instead of once per EPUB.
// Usage: node ace_each.js ACE_FOLDER OUT EPUB...   (OUT/<EPUB's stem>/report.json each)
'use strict';

const path = require('path');

const [aceFolder, out, ...epubs] = process.argv.slice(2);
const load = name => require(require.resolve(name, { paths: [path.join(aceFolder, 'node_modules')] }));
const ace = load('@daisy/ace-core');
const runner = load('@daisy/ace-axe-runner-puppeteer');
const logger = load('@daisy/ace-logger');

logger.initLogger({ verbose: false, silent: true, fileName: 'ace-cli.log' });

// ace-core launches and closes the runner's browser around each EPUB: launched here once.
let launched = null;
const shared = Object.assign(Object.create(runner), {
  launch: () => (launched = launched || runner.launch()),
  close: async () => {},
});

(async () => {
  let failed = 0;
  for (const epub of epubs) {
    const outdir = path.join(out, path.parse(epub).name);
    try {
      await ace(epub, { cwd: process.cwd(), outdir, jobId: '', silent: true }, shared);
    } catch (err) {
      failed += 1;
      console.error(`${epub}: ${err && err.message ? err.message : err}`);
    }
  }
  if (launched) await runner.close();
  process.exit(failed ? 1 : 0);
})();
