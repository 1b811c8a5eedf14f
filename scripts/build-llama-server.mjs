#!/usr/bin/env node
// Builds llama.cpp's `llama-server` from the llama.cpp release that the installed `node-llama-cpp` package carries
// (its git bundle), linked against that package's prebuilt CPU libraries (libllama, libggml, libllama-common and the
// per-CPU ggml backends), so the only compiled parts are the server, the multimodal helper it links and the (empty)
// web UI stub. Nothing is downloaded. The result is cached outside the repository, keyed by both versions:
//   ${KOIVULAHTI_CACHE:-~/.cache/koivulahti}/llama-server/<llama.cpp tag>-node-llama-cpp-<version>/bin/llama-server
// Usage: node scripts/build-llama-server.mjs [--print-path] [--jobs N]
//   --print-path  print where the binary is (or would be) and exit 0 without building
// The last line printed on stdout is the binary's path. Exit code 1 (with the reason) when it cannot be built.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const printOnly = args.includes('--print-path');
const jobsIndex = args.indexOf('--jobs');
const jobs = jobsIndex >= 0 ? Number(args[jobsIndex + 1]) : Number(process.env.LLAMA_SERVER_BUILD_JOBS ?? 2);

function fail(message) {
  console.error(`build-llama-server: ${message}`);
  process.exit(1);
}

function locate() {
  const packageDir = join(repoRoot, 'node_modules', 'node-llama-cpp');
  if (!existsSync(join(packageDir, 'package.json'))) {
    fail('node-llama-cpp is not installed (npm install --no-save node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1)');
  }
  const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
  const info = JSON.parse(readFileSync(join(packageDir, 'llama', 'llama.cpp.info.json'), 'utf8'));
  const bundle = join(packageDir, 'llama', 'gitRelease.bundle');
  const platform = `${process.platform === 'win32' ? 'win' : process.platform === 'darwin' ? 'mac' : process.platform}-${process.arch}`;
  const prebuilt = join(repoRoot, 'node_modules', '@node-llama-cpp', platform, 'bins', platform);
  const cacheRoot = process.env.KOIVULAHTI_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'koivulahti');
  const dir = join(cacheRoot, 'llama-server', `${info.tag}-node-llama-cpp-${version}`);
  return { version, tag: info.tag, bundle, prebuilt, platform, dir, binary: join(dir, 'bin', 'llama-server') };
}

function works(binary) {
  if (!existsSync(binary)) return false;
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return run.status === 0;
}

// One build at a time per cache directory; a lock left by a dead process is taken over.
function lock(dir) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, '.build.lock');
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch {
      const owner = Number(readFileSync(path, 'utf8') || 0);
      let alive = false;
      try {
        process.kill(owner, 0);
        alive = owner > 0;
      } catch {}
      if (!alive) {
        rmSync(path, { force: true });
        continue;
      }
      console.error(`build-llama-server: waiting for the build by process ${owner}`);
      execFileSync('sleep', ['10']);
    }
  }
}

function libraryFiles(prebuilt) {
  return readdirSync(prebuilt).filter((name) => name.endsWith('.so'));
}

function findLibrary(prebuilt, prefix) {
  const match = libraryFiles(prebuilt).find((name) => name === `${prefix}.so` || name.startsWith(`${prefix}.v`));
  if (!match) fail(`the prebuilt libraries in ${prebuilt} have no ${prefix}`);
  return join(prebuilt, match);
}

function wrapperCmake(src, prebuilt) {
  const lib = (prefix) => findLibrary(prebuilt, prefix);
  return `cmake_minimum_required(VERSION 3.18)
project(koivulahti-llama-server C CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(BUILD_SHARED_LIBS OFF)
set(CMAKE_BUILD_RPATH "$ORIGIN")
set(LLAMA_BUILD_COMMON OFF)
set(LLAMA_BUILD_TOOLS OFF)
set(LLAMA_SUBPROCESS ON)
set(LLAMA_BUILD_UI OFF)
set(LLAMA_USE_PREBUILT_UI OFF)
set(LLAMA_VERSION_MAJOR 0)
set(LLAMA_VERSION_BASE 0)
set(PROJECT_SOURCE_DIR "${src}")
function(llama_add_compile_flags)
endfunction()
include("${src}/cmake/license.cmake")
find_package(Threads REQUIRED)

add_library(ggml-base SHARED IMPORTED)
set_target_properties(ggml-base PROPERTIES IMPORTED_LOCATION "${lib('libggml-base')}"
  INTERFACE_INCLUDE_DIRECTORIES "${src}/ggml/include")
add_library(ggml SHARED IMPORTED)
set_target_properties(ggml PROPERTIES IMPORTED_LOCATION "${lib('libggml')}" INTERFACE_LINK_LIBRARIES ggml-base)
add_library(llama SHARED IMPORTED)
set_target_properties(llama PROPERTIES IMPORTED_LOCATION "${lib('libllama')}"
  INTERFACE_INCLUDE_DIRECTORIES "${src}/include" INTERFACE_LINK_LIBRARIES ggml)

add_subdirectory("${src}/vendor" vendor EXCLUDE_FROM_ALL)

# libllama-common carries common/, the build info and cpp-httplib (built without OpenSSL, with subprocess support)
add_library(llama-common SHARED IMPORTED)
set_target_properties(llama-common PROPERTIES IMPORTED_LOCATION "${lib('libllama-common')}"
  INTERFACE_INCLUDE_DIRECTORIES "${src}/common"
  INTERFACE_COMPILE_DEFINITIONS LLAMA_SUBPROCESS
  INTERFACE_LINK_LIBRARIES "llama;vendor::nlohmann;vendor::sheredom;Threads::Threads")
add_library(cpp-httplib INTERFACE)
target_include_directories(cpp-httplib INTERFACE "${src}/vendor")
target_link_libraries(cpp-httplib INTERFACE llama-common)

add_subdirectory("${src}/tools/mtmd" mtmd EXCLUDE_FROM_ALL)
add_subdirectory("${src}/tools/ui" ui EXCLUDE_FROM_ALL)
add_subdirectory("${src}/tools/server" server EXCLUDE_FROM_ALL)
`;
}

function run(command, commandArgs, options = {}) {
  console.log(`$ ${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (result.status !== 0) fail(`${command} ${commandArgs[0]} failed (exit ${result.status ?? result.signal})`);
}

function build(target) {
  if (target.platform !== 'linux-x64') fail(`only linux-x64 is supported here, not ${target.platform}`);
  if (!existsSync(target.bundle)) fail(`${target.bundle} is missing: this node-llama-cpp carries no llama.cpp source`);
  if (!existsSync(target.prebuilt))
    fail(`${target.prebuilt} is missing (npm install --no-save @node-llama-cpp/${target.platform}@${target.version})`);
  for (const tool of ['git', 'cmake', 'c++']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`${tool} is not installed`);
  }
  const src = join(target.dir, 'src');
  if (!existsSync(join(src, 'tools', 'server', 'server.cpp'))) {
    rmSync(src, { recursive: true, force: true });
    run('git', ['clone', '--quiet', target.bundle, src]);
  }
  const wrapper = join(target.dir, 'wrapper');
  mkdirSync(wrapper, { recursive: true });
  writeFileSync(join(wrapper, 'CMakeLists.txt'), wrapperCmake(src, target.prebuilt));
  const buildDir = join(target.dir, 'build');
  run('cmake', ['-S', wrapper, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release', '-DLLAMA_FATAL_WARNINGS=OFF', '-DLLAMA_ALL_WARNINGS=OFF']);
  run('cmake', ['--build', buildDir, '--target', 'llama-server', '-j', String(jobs)]);
  const built = join(buildDir, 'bin', 'llama-server');
  const output = existsSync(built) ? built : join(buildDir, 'server', 'llama-server');
  if (!existsSync(output)) fail(`the build finished without ${built}`);
  const staging = join(target.dir, `bin.${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  for (const name of libraryFiles(target.prebuilt)) copyFileSync(join(target.prebuilt, name), join(staging, name));
  copyFileSync(output, join(staging, 'llama-server'));
  execFileSync('chmod', ['+x', join(staging, 'llama-server')]);
  if (!works(join(staging, 'llama-server'))) fail('the built llama-server does not run (--version failed)');
  rmSync(join(target.dir, 'bin'), { recursive: true, force: true });
  renameSync(staging, join(target.dir, 'bin'));
  writeFileSync(
    join(target.dir, 'BUILD-INFO.json'),
    `${JSON.stringify({ llamaCpp: target.tag, nodeLlamaCpp: target.version, builtAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`,
  );
}

const started = Date.now();
const target = locate();
if (printOnly) {
  console.log(target.binary);
  process.exit(0);
}
if (!works(target.binary)) {
  const unlock = lock(target.dir);
  try {
    if (!works(target.binary)) build(target);
  } finally {
    unlock();
  }
  console.log(`build-llama-server: built in ${Math.round((Date.now() - started) / 1000)} s`);
} else {
  const size = statSync(target.binary).size;
  console.log(`build-llama-server: cached (${Math.round(size / 1024)} KiB)`);
}
console.log(target.binary);
