// wasi-run.mjs: run a wasm32-wasip1 program (a test binary or the `jangada` tool) under
// Node's built-in WASI (node:wasi, preview1). Used by scripts/cross.sh as the WASI runner:
// building wasmtime from crates.io takes longer than the whole CI budget on two cores.
//
//   node --no-warnings scripts/cross/wasi-run.mjs [--dir PATH]... [--env K=V]... PROG.wasm [ARGS]...
//
// Each --dir PATH is preopened at the same path inside the sandbox, so absolute paths baked
// into test binaries (env!("CARGO_MANIFEST_DIR")) resolve. The exit status is the program's;
// a trap (a panic: wasm is panic=abort) prints the trap and exits with 134 like SIGABRT.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, exit, stderr } from 'node:process';

const preopens = {};
const env = {};
let i = 2;
for (; i < argv.length; i += 2) {
  if (argv[i] === '--dir') {
    preopens[argv[i + 1]] = argv[i + 1];
  } else if (argv[i] === '--env') {
    const kv = argv[i + 1];
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else {
    break;
  }
}
const prog = argv[i];
if (!prog) {
  stderr.write('usage: wasi-run.mjs [--dir PATH]... [--env K=V]... PROG.wasm [ARGS]...\n');
  exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [prog, ...argv.slice(i + 1)],
  env,
  preopens,
  returnOnExit: true,
});
try {
  const module = await WebAssembly.compile(await readFile(prog));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  exit(wasi.start(instance));
} catch (e) {
  stderr.write(`wasi-run: ${prog}: ${e && e.stack ? e.stack : e}\n`);
  exit(134);
}
