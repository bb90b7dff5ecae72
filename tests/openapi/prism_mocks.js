// `prism mock DOCUMENT -p PORT -h 127.0.0.1` for several documents in one Node process: Prism's own
// mock command (its argument parsing and defaults, its handler), once per document, one after the
// other. Loading Prism's modules costs ~1.3 s of CPU (the faker locales most of it): paid once here,
// not once per document.
//
// node prism_mocks.js PRISM_CLI_DIST NAME DOCUMENT PORT [NAME DOCUMENT PORT ...]
//
// Each document's log (Prism's own lines) comes between "prism-mocks: NAME loading" and
// "prism-mocks: NAME listening" or "prism-mocks: NAME failed: WHY"; "prism-mocks: ready" ends the
// loading. The servers then answer until the process is stopped.
"use strict";
const path = require("path");

const [dist, ...rest] = process.argv.slice(2);
const yargs = require(require.resolve("yargs/yargs", { paths: [dist] }));
const mock = require(path.join(dist, "commands", "mock.js")).default;

function argvOf(document, port) {
  let parsed;
  yargs(["mock", document, "-p", port, "-h", "127.0.0.1"])
    .command({ ...mock, handler: argv => { parsed = argv; } })
    .strict()
    .parse();
  return parsed;
}

(async () => {
  for (let i = 0; i + 2 < rest.length; i += 3) {
    const [name, document, port] = rest.slice(i, i + 3);
    console.log(`prism-mocks: ${name} loading`);
    try {
      await mock.handler(argvOf(document, port));
      // Prism's log lines reach stdout through a stream: let them out before the next marker
      await new Promise(resolve => setImmediate(resolve));
      console.log(`prism-mocks: ${name} listening`);
    } catch (error) {
      console.log(`prism-mocks: ${name} failed: ${error && error.message}`);
    }
  }
  console.log("prism-mocks: ready");
})();
