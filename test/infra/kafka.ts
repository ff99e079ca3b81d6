// A real Apache Kafka 4.x broker for the tests and the demo: one node in KRaft mode (broker and
// controller in one JVM), its jars fetched from Maven Central (test/infra/kafka/pom.xml), shared by
// every process and every clone on this machine through a state file in os.tmpdir().
//
// kafkajs 2.2.4 against Kafka 4.x (which dropped the pre-2.1 protocol versions, KIP-896): works,
// verified by test/kafka.test.ts. kafkajs negotiates through ApiVersions and its highest versions are
// all above the 4.x floor; against 4.4.0 it uses Produce v7, Fetch v11, ListOffsets v3, Metadata v6,
// FindCoordinator v2, JoinGroup v5, SyncGroup v3, LeaveGroup v3, OffsetCommit v5, OffsetFetch v4,
// InitProducerId v1, CreateTopics v3, DeleteTopics v1, DeleteGroups v1. Its consumer groups use the
// classic protocol, which Kafka 4 still serves next to the KIP-848 one. A fresh broker answers
// "coordinator is loading" to the first InitProducerId / FindCoordinator (kafkajs retries, logging an
// ERROR): the readiness check below warms both coordinators so that tests do not see it.
//
//   ensureKafka()                      in code: reuse or start, returns { brokers, startedHere, stop }
//   npm exec -- node test/infra/kafka.ts   prints the brokers string (e.g. 127.0.0.1:40123)
//
// Order of preference: $KAFKA_BROKERS if a broker answers there; else the broker named by the state
// file if it answers; else start one (under a lock file, so that concurrent callers start one only).
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { link, mkdir, open, readFile, readdir, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createIdempotentProducer, createKafka, logLevel, type Kafka } from '@syncfleet/kafka';

const execFileAsync = promisify(execFile);

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const POM = join(REPO_ROOT, 'test/infra/kafka/pom.xml');
const LIBS_DIR = join(REPO_ROOT, '.cache/kafka/libs');
const LIBS_MARKER = join(LIBS_DIR, '.syncfleet-complete');
const BASE_DIR = join(tmpdir(), 'syncfleet-kafka');
const STATE_FILE = join(BASE_DIR, 'state.json');
const LOCK_FILE = join(BASE_DIR, 'start.lock');

const READY_TIMEOUT_MS = 90_000;
const LOCK_WAIT_MS = 10 * 60_000; // the holder may be downloading jars
const LOCK_STALE_MS = 60_000; // the holder touches the lock every few seconds
const STOP_GRACE_MS = 20_000;

export interface KafkaHandle {
  /** `host:port` of the broker's client listener. */
  brokers: string[];
  /** True when this call started the broker (then `stop()` stops it). */
  startedHere: boolean;
  /** Stops the broker if this call started it (and forgets it); otherwise does nothing. */
  stop(): Promise<void>;
}

export interface EnsureKafkaOptions {
  log?: (msg: string) => void;
}

interface BrokerState {
  version: string;
  pid: number;
  port: number;
  controllerPort: number;
  brokers: string[];
  clusterId: string;
  dir: string;
  dataDir: string;
  logFile: string;
  consoleFile: string;
  startedAt: string;
  /** Set once the starter's readiness check passed (coordinators warm); until then others wait. */
  ready: boolean;
}

export async function ensureKafka(opts: EnsureKafkaOptions = {}): Promise<KafkaHandle> {
  const log = opts.log ?? (() => {});
  const reused = (brokers: string[]): KafkaHandle => ({ brokers, startedHere: false, stop: async () => {} });

  const fromEnv = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean) ?? [];
  if (fromEnv.length > 0) {
    if (await answers(fromEnv)) {
      log(`kafka: reusing KAFKA_BROKERS=${fromEnv.join(',')}`);
      return reused(fromEnv);
    }
    log(`kafka: nothing answers at KAFKA_BROKERS=${fromEnv.join(',')}; looking further`);
  }

  const known = await readState();
  if (known?.ready && (await answers(known.brokers))) {
    log(`kafka: reusing broker ${known.brokers.join(',')} (pid ${known.pid})`);
    return reused(known.brokers);
  }

  await mkdir(BASE_DIR, { recursive: true });
  const release = await acquireLock(log);
  try {
    // Someone may have started (or be finishing) a broker while we waited for the lock.
    const state = await readState();
    if (state) {
      if (state.ready && (await answers(state.brokers))) {
        log(`kafka: reusing broker ${state.brokers.join(',')} (pid ${state.pid})`);
        return reused(state.brokers);
      }
      if (isBrokerProcess(state.pid, state.dir)) {
        // Its starter died (or is from an older version of this file) before marking it ready: give it the
        // rest of a start-up, then give up on it.
        log(`kafka: broker pid ${state.pid} is not known to be ready; waiting until it is`);
        try {
          await waitUntilReady(state, 30_000, log);
          await writeState({ ...state, ready: true });
          return reused(state.brokers);
        } catch {
          log(`kafka: broker pid ${state.pid} never became ready; replacing it`);
        }
      }
      await killBroker(state.pid, state.dir);
      await forgetState(state);
    }
    await removeLeftovers();

    const started = await startBroker(log);
    return {
      brokers: started.brokers,
      startedHere: true,
      stop: async () => {
        log(`kafka: stopping broker pid ${started.pid}`);
        await killBroker(started.pid, started.dir);
        await forgetState(started);
      },
    };
  } finally {
    await release();
  }
}

// ---------------------------------------------------------------------------------------------
// Probing

function probeClient(brokers: string[]): Kafka {
  return createKafka({
    brokers,
    clientId: 'syncfleet-kafka-probe',
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

/** Does a broker answer at `brokers` (kafkajs admin connects and describes the cluster)? */
async function answers(brokers: string[]): Promise<boolean> {
  const admin = probeClient(brokers).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Is the broker usable for real work: metadata, topic creation, the group coordinator (this creates
 * __consumer_offsets) and the transaction coordinator (an idempotent producer's InitProducerId creates
 * __transaction_state)? Warming both here keeps "coordinator is loading" retries out of the tests.
 */
async function isReady(brokers: string[]): Promise<boolean> {
  const kafka = probeClient(brokers);
  const admin = kafka.admin();
  const producer = createIdempotentProducer(kafka, { retry: { retries: 1 } });
  const topic = `syncfleet-probe-${randomBytes(4).toString('hex')}`;
  let created = false;
  try {
    await admin.connect();
    await admin.describeCluster();
    created = await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true, timeout: 5_000 });
    await admin.describeGroups(['syncfleet-probe']);
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'probe' }] });
    return true;
  } catch {
    return false;
  } finally {
    await producer.disconnect().catch(() => {});
    if (created) await admin.deleteTopics({ topics: [topic], timeout: 5_000 }).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

async function waitUntilReady(state: BrokerState, timeoutMs: number, log: (msg: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastNote = Date.now();
  for (;;) {
    if (!isAlive(state.pid)) throw new Error(`Kafka broker (pid ${state.pid}) exited during start-up`);
    if (await isReady(state.brokers)) return;
    if (Date.now() > deadline) throw new Error(`Kafka broker (pid ${state.pid}) not ready after ${timeoutMs / 1000} s`);
    if (Date.now() - lastNote > 15_000) {
      log(`kafka: still waiting for the broker at ${state.brokers.join(',')}`);
      lastNote = Date.now();
    }
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------------
// Starting

async function startBroker(log: (msg: string) => void): Promise<BrokerState> {
  const java = await ensureJava(log);
  const version = await ensureLibs(log);
  const [port, controllerPort] = await freePorts(2);
  if (port === undefined || controllerPort === undefined) throw new Error('no free port');

  const dir = join(BASE_DIR, `data-${port}`);
  const dataDir = join(dir, 'kraft');
  const logFile = join(dir, 'server.log');
  const consoleFile = join(dir, 'console.log');
  const propsFile = join(dir, 'server.properties');
  const log4jFile = join(dir, 'log4j2.properties');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  await writeFile(propsFile, serverProperties({ port, controllerPort, dataDir }));
  await writeFile(log4jFile, log4j2Properties(logFile));

  const clusterId = kafkaUuid();
  const classpath = `${LIBS_DIR}/*`;
  const jvmLogging = [`-Dlog4j2.configurationFile=${log4jFile}`, '-Djava.awt.headless=true'];
  const state: BrokerState = {
    version,
    pid: 0,
    port,
    controllerPort,
    brokers: [`127.0.0.1:${port}`],
    clusterId,
    dir,
    dataDir,
    logFile,
    consoleFile,
    startedAt: new Date().toISOString(),
    ready: false,
  };

  log(`kafka: formatting storage in ${dataDir}`);
  try {
    await execFileAsync(java, ['-cp', classpath, ...jvmLogging, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', propsFile], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(`Kafka storage format failed: ${commandOutput(err)}`, { cause: err });
  }

  log(`kafka: starting Apache Kafka ${version} on 127.0.0.1:${port} (controller ${controllerPort})`);
  const out = openSync(consoleFile, 'a');
  let pid: number | undefined;
  try {
    const child = spawn(java, ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', ...jvmLogging, '-cp', classpath, 'kafka.Kafka', propsFile], {
      cwd: dir,
      detached: true, // its own process group: a Ctrl-C of the caller does not reach it
      stdio: ['ignore', out, out],
    });
    child.on('error', () => {}); // reported through the readiness wait and the log tail
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(out);
  }
  if (pid === undefined) throw new Error(`could not start ${java}: ${tail(consoleFile)}`);
  state.pid = pid;
  await writeState(state);

  const t0 = Date.now();
  try {
    await waitUntilReady(state, READY_TIMEOUT_MS, log);
  } catch (err) {
    const logs = `--- ${logFile} (tail) ---\n${tail(logFile)}\n--- ${consoleFile} (tail) ---\n${tail(consoleFile)}`;
    await killBroker(pid, dir);
    await unlink(STATE_FILE).catch(() => {});
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
  state.ready = true;
  await writeState(state);
  log(`kafka: broker ready at ${state.brokers.join(',')} in ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${pid}, logs in ${dir})`);
  return state;
}

function serverProperties({ port, controllerPort, dataDir }: { port: number; controllerPort: number; dataDir: string }): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    // Dynamic quorum (KIP-853): the storage is formatted with --standalone, which makes this node the
    // only voter.
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    'log.dirs': dataDir,
    'num.partitions': 3,
    'auto.create.topics.enable': true,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 10,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'group.initial.rebalance.delay.ms': 0,
    // A test broker: small segments, and topic deletion that returns quickly.
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.retention.hours': 24,
    'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024,
    'delete.topic.enable': true,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** Everything to `file` (rolled at 20 MB, 2 kept), nothing on the console. */
function log4j2Properties(file: string): string {
  return `status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${file}
appender.file.filePattern = ${file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
`;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (like `kafka-storage random-uuid`). */
function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('unexpected server address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

// ---------------------------------------------------------------------------------------------
// Java, Maven and the broker jars

/** A Java 17+ (Kafka 4 brokers need 17): $JAVA_HOME's, else the PATH's, else installed with apt-get. */
async function ensureJava(log: (msg: string) => void): Promise<string> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin/java') : 'java';
  const major = await javaVersion(java);
  if (major !== undefined && major >= 17) return java;
  await aptInstall(['default-jre-headless'], `Java 17+ (found ${major ?? 'none'})`, log);
  const after = await javaVersion('java');
  if (after === undefined || after < 17) throw new Error(`Kafka needs Java 17+, found ${after ?? 'none'} after apt-get`);
  return 'java';
}

async function ensureMaven(log: (msg: string) => void): Promise<void> {
  if (await succeeds('mvn', ['-v'])) return;
  await aptInstall(['maven'], 'Maven', log);
}

async function aptInstall(packages: string[], what: string, log: (msg: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`Kafka needs ${what}: install it (apt-get install ${packages.join(' ')})`);
  log(`kafka: installing ${packages.join(' ')} with apt-get`);
  const options = { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  try {
    await execFileAsync('apt-get', ['update'], options);
    await execFileAsync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], options);
  } catch (err) {
    throw new Error(`apt-get install ${packages.join(' ')} failed: ${commandOutput(err)}`, { cause: err });
  }
}

async function javaVersion(java: string): Promise<number | undefined> {
  try {
    const { stderr, stdout } = await execFileAsync(java, ['-version']);
    const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr + stdout);
    if (!match?.[1]) return undefined;
    const major = Number(match[1]);
    return major === 1 ? Number(match[2]) : major;
  } catch {
    return undefined;
  }
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(cmd, args);
    return true;
  } catch {
    return false;
  }
}

/** Copies the broker's jars into .cache/kafka/libs unless they are there for this pom. Returns the Kafka version. */
async function ensureLibs(log: (msg: string) => void): Promise<string> {
  const pom = await readFile(POM, 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`${POM}: no <kafka.version>`);
  const marker = `kafka ${version}\npom ${createHash('sha256').update(pom).digest('hex')}\n`;
  if ((await readFile(LIBS_MARKER, 'utf8').catch(() => '')) === marker) return version;

  await ensureMaven(log);
  log(`kafka: fetching Apache Kafka ${version} jars with Maven into ${LIBS_DIR}`);
  const t0 = Date.now();
  const staging = `${LIBS_DIR}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await execFileAsync('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`], {
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`mvn dependency:copy-dependencies failed: ${commandOutput(err)}`, { cause: err });
  }
  const jars = (await readdir(staging)).filter((f) => f.endsWith('.jar'));
  if (!jars.includes(`kafka_2.13-${version}.jar`)) throw new Error(`Maven did not fetch kafka_2.13-${version}.jar`);
  await writeFile(join(staging, '.syncfleet-complete'), marker);
  await rm(LIBS_DIR, { recursive: true, force: true });
  await rename(staging, LIBS_DIR);
  log(`kafka: ${jars.length} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return version;
}

// ---------------------------------------------------------------------------------------------
// Process and state bookkeeping

async function readState(): Promise<BrokerState | undefined> {
  try {
    const state = JSON.parse(await readFile(STATE_FILE, 'utf8')) as Partial<BrokerState>;
    if (typeof state.pid !== 'number' || !Array.isArray(state.brokers) || typeof state.dir !== 'string') return undefined;
    return state as BrokerState;
  } catch {
    return undefined;
  }
}

async function writeState(state: BrokerState): Promise<void> {
  const tmp = `${STATE_FILE}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, STATE_FILE);
}

/** Removes the state file if it still names this broker, and the broker's directory. */
async function forgetState(state: Pick<BrokerState, 'pid' | 'dir'>): Promise<void> {
  const current = await readState();
  if (current?.pid === state.pid) await unlink(STATE_FILE).catch(() => {});
  if (state.dir.startsWith(BASE_DIR)) await rm(state.dir, { recursive: true, force: true });
}

/** Deletes data-* directories of brokers that no longer run (left by a crash or a reboot). */
async function removeLeftovers(): Promise<void> {
  const entries = await readdir(BASE_DIR).catch(() => [] as string[]);
  const running = new Set<string>();
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = readProc(`/proc/${pid}/cmdline`);
    if (!cmdline?.includes('kafka.Kafka')) continue;
    const dir = /(data-\d+)\/server\.properties/.exec(cmdline)?.[1];
    if (dir) running.add(dir);
  }
  if (!existsSync('/proc/self')) return; // cannot tell which directories are in use
  await Promise.all(
    entries
      .filter((e) => /^data-\d+$/.test(e) && !running.has(e))
      .map((e) => rm(join(BASE_DIR, e), { recursive: true, force: true })),
  );
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readProc(`/proc/${pid}/stat`);
  // "pid (comm) S ...": a zombie has exited already
  return !stat || !/^\d+ \(.*\) Z/.test(stat);
}

/** Is `pid` the Kafka broker whose files are in `dir` (and not a recycled pid)? */
function isBrokerProcess(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = readProc(`/proc/${pid}/cmdline`);
  return cmdline === undefined ? true : cmdline.includes('kafka.Kafka') && cmdline.includes(dir);
}

/** SIGTERM (a clean KRaft shutdown), then SIGKILL after a grace period. */
async function killBroker(pid: number, dir: string): Promise<void> {
  if (!isBrokerProcess(pid, dir)) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig); // its process group (it was spawned detached)
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // gone already
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) {
    signal('SIGKILL');
    while (isAlive(pid) && Date.now() < deadline + 5_000) await sleep(100);
  }
}

/**
 * An exclusive lock on the start path, across processes: a file created with O_EXCL, holding our pid,
 * touched every few seconds while held. A lock whose holder is dead, or that has not been touched for
 * LOCK_STALE_MS, is broken.
 */
async function acquireLock(log: (msg: string) => void): Promise<() => Promise<void>> {
  const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let lastNote = 0;
  for (;;) {
    try {
      const handle = await open(LOCK_FILE, 'wx');
      await handle.writeFile(token);
      await handle.close();
      const heartbeat = setInterval(() => {
        const now = new Date();
        utimes(LOCK_FILE, now, now).catch(() => {});
      }, 5_000);
      heartbeat.unref();
      return async () => {
        clearInterval(heartbeat);
        if ((await readFile(LOCK_FILE, 'utf8').catch(() => '')) === token) await unlink(LOCK_FILE).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readFile(LOCK_FILE, 'utf8').catch(() => undefined);
    if (holder !== undefined) {
      const holderPid = Number(holder.split(' ')[0]);
      const age = Date.now() - ((await stat(LOCK_FILE).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (!isAlive(holderPid) || age > LOCK_STALE_MS) {
        log(`kafka: breaking a stale start lock (pid ${holderPid}, ${Math.round(age / 1000)} s old)`);
        await breakLock(holder);
        continue;
      }
      if (Date.now() - lastNote > 10_000) {
        log(`kafka: waiting for pid ${holderPid}, which is starting a broker`);
        lastNote = Date.now();
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the Kafka start lock ${LOCK_FILE}`);
    await sleep(250);
  }
}

/** Removes the lock only if it is still the stale one we saw (not a fresh one taken meanwhile). */
async function breakLock(staleContent: string): Promise<void> {
  const aside = `${LOCK_FILE}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(LOCK_FILE, aside);
  } catch {
    return; // somebody else broke or released it
  }
  const content = await readFile(aside, 'utf8').catch(() => '');
  if (content !== staleContent) {
    // We moved a fresh lock aside: put it back, unless a third process has taken the lock meanwhile
    // (link, unlike rename, never replaces an existing file).
    await link(aside, LOCK_FILE).catch(() => {});
    await unlink(aside).catch(() => {});
    return;
  }
  await unlink(aside).catch(() => {});
}

function tail(file: string, lines = 60): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

function commandOutput(err: unknown): string {
  const e = err as { message?: string; stdout?: string; stderr?: string };
  const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
  return out ? `${e.message ?? ''}\n${out.split('\n').slice(-40).join('\n')}` : (e.message ?? String(err));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// `npm exec -- node test/infra/kafka.ts`: ensure a broker, print its brokers string.
if (import.meta.main) {
  const t0 = Date.now();
  const kafka = await ensureKafka({ log: (msg) => console.error(msg) });
  console.error(`kafka: ${kafka.startedHere ? 'started' : 'reused'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(kafka.brokers.join(','));
}
