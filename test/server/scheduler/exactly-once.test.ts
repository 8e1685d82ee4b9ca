/**
 * The scheduler's promise, tested by random interleavings over many seeds: every accepted item is
 * answered exactly once, nothing withdrawn ever reaches a worker, and an item that reached a
 * worker is never answered as dropped or expired. Real worker pools with real sessions run the
 * `add` model; the test only watches what the scheduler hands them (and makes some runs fail).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataType } from '../../../gen/ts/sluice/v1/tensor.js';
import { SluiceError, createLogger } from '../../../server/index.js';
import { WorkerPool } from '../../../server/pool/worker-pool.js';
import type { LoadedModel } from '../../../server/repository/load-model.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import { Scheduler, type TaskRunner } from '../../../server/scheduler/scheduler.js';
import { type ItemOutcome, type PreparedInput, type WorkItem, now } from '../../../server/scheduler/work-item.js';
import type { InferTask, InferTaskResult } from '../../../server/worker/task.js';
import { tempRepository } from '../../helpers/model-repo.js';

const SEEDS = 40;
const EVENTS = 160;

/** A small seeded generator (mulberry32), so that a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One row of `add` whose `a` is the item's id, so that its answer (`sum`) names it too. */
function itemInput(id: number): PreparedInput {
  const tensor = (name: string, value: number) => ({
    name,
    dtype: DataType.DATA_TYPE_FLOAT32,
    shape: [1, 4],
    data: new Uint8Array(new Float32Array([value, value, value, value]).buffer),
  });
  return { input: { kind: 'tensors', tensors: [tensor('a', id), tensor('b', 0)] }, rows: 1, bytes: 32, owned: undefined };
}

function idsOf(task: InferTask): number[] {
  return task.items.map((input) => {
    if (input.kind !== 'tensors') throw new Error('unexpected image');
    const a = input.tensors.find((t) => t.name === 'a');
    if (a === undefined) throw new Error('no input a');
    return new Float32Array(a.data.buffer, a.data.byteOffset, 1)[0] as number;
  });
}

/** A real pool, watched: records the ids of every run it is handed, and fails runs on request. */
class WatchedPool implements TaskRunner {
  pool: WorkerPool;
  readonly ran = new Set<number>();
  failNext = 0;

  constructor(pool: WorkerPool) {
    this.pool = pool;
  }

  get size(): number {
    return this.pool.size;
  }

  get capacity(): number {
    return this.pool.capacity;
  }

  run(task: InferTask, transfer: readonly ArrayBuffer[]): Promise<InferTaskResult> {
    for (const id of idsOf(task)) {
      assert.ok(!this.ran.has(id), `item ${id} was handed to a worker twice`);
      this.ran.add(id);
    }
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new SluiceError('INTERNAL', 'inference worker failed'));
    }
    return this.pool.run(task, transfer);
  }
}

interface Tracked {
  readonly id: number;
  readonly item: WorkItem;
  readonly abort: AbortController;
  withdrawn: boolean;
  cancelled: boolean;
  outcome?: ItemOutcome;
}

test('random interleavings of withdrawals, expiries, cancellations, reloads, unloads, worker failures and a forced stop answer every item exactly once', async (t) => {
  const dir = await tempRepository(t, [
    { name: 'add', from: 'add' },
    { name: 'add-held', from: 'add', yaml: 'dynamic_batching: { max_queue_delay_us: 20000 }' },
  ]);
  const repository = await ModelRepository.load(dir);
  const logger = createLogger({ level: 'silent', pretty: false });
  const options = { workers: 2, intraOpThreads: 1, maxImagePixels: 1_000_000, logger, models: repository.onnxSpecs() };
  const pools = [await WorkerPool.start(options), await WorkerPool.start(options)];
  t.after(() => Promise.all(pools.map((p) => p.close())));
  const held = repository.get('add-held') as LoadedModel;

  let nextId = 1;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rand = random(seed);
    const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(rand() * list.length)];
    const watched = new WatchedPool(pools[0] as WorkerPool);
    const scheduler = new Scheduler(repository, watched, { maxQueueSize: 64, logger });
    const items: Tracked[] = [];
    let abandoned = false;
    const forcedStopAt = seed % 3 === 0 ? Math.floor(rand() * EVENTS) : -1;

    for (let event = 0; event < EVENTS; event++) {
      const roll = rand();
      if (event === forcedStopAt) {
        scheduler.abandonAll(new SluiceError('UNAVAILABLE', 'server is shutting down'));
        abandoned = true;
      } else if (roll < 0.4 || items.length === 0) {
        const id = nextId++;
        const abort = new AbortController();
        const model = rand() < 0.8 ? (rand() < 0.5 ? 'add' : 'add-held') : 'missing';
        const deadline = rand() < 0.3 ? now() + rand() * 4 : undefined;
        const item = scheduler.submit(model, itemInput(id), { signal: abort.signal, deadline });
        const tracked: Tracked = { id, item, abort, withdrawn: false, cancelled: false };
        void item.outcome.then((outcome) => {
          assert.equal(tracked.outcome, undefined, `item ${id} was answered twice`);
          tracked.outcome = outcome;
        });
        items.push(tracked);
      } else if (roll < 0.55) {
        const tracked = pick(items);
        if (tracked !== undefined && tracked.item.withdraw(new SluiceError('DROPPED', 'dropped for a fresher item'))) tracked.withdrawn = true;
      } else if (roll < 0.65) {
        const tracked = pick(items);
        if (tracked !== undefined) {
          // Cancelling an answered item changes nothing.
          if (tracked.item.state !== 'answered') tracked.cancelled = true;
          if (rand() < 0.5) tracked.item.cancel();
          else tracked.abort.abort();
        }
      } else if (roll < 0.7) {
        // A reload keeps the queue; an unload answers its waiting items; a load brings it back.
        const choice = rand();
        if (choice < 0.4) repository.set(held);
        else if (choice < 0.7) repository.delete('add-held');
        else repository.set(held);
        scheduler.syncModels(repository);
      } else if (roll < 0.73) {
        watched.pool = pools[rand() < 0.5 ? 0 : 1] as WorkerPool;
        scheduler.replacePool(watched);
      } else if (roll < 0.76) {
        watched.failNext++;
      } else if (roll < 0.88) {
        await sleep(rand() < 0.5 ? 0 : 2);
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    repository.set(held);
    scheduler.syncModels(repository);

    // The scheduler's timers do not keep a process alive (a server's sockets do): this one does.
    const giveUp = new AbortController();
    const settled = await Promise.race([
      Promise.all(items.map((i) => i.item.outcome)).then(() => true),
      sleep(20_000, false, { signal: giveUp.signal }).catch(() => false),
    ]);
    giveUp.abort();
    const unanswered = items.filter((i) => i.item.state !== 'answered').map((i) => `${i.id} ${i.item.model} ${i.item.state}`);
    assert.ok(settled, `seed ${seed}: items never answered: ${unanswered.join('; ')} (queued ${scheduler.queued})`);
    await scheduler.whenIdle();
    await sleep(0);
    assert.equal(scheduler.queued, 0, `seed ${seed}: items left in queues`);

    for (const tracked of items) {
      const { id, outcome } = tracked;
      const where = `seed ${seed}, item ${id}`;
      assert.ok(outcome !== undefined, `${where}: no outcome`);
      const ran = watched.ran.has(id);
      if (tracked.withdrawn) {
        assert.ok(!ran, `${where}: withdrawn, yet handed to a worker`);
        assert.equal(outcome.ok ? 'ok' : outcome.error.code, 'DROPPED', `${where}: withdrawn, answered otherwise`);
      }
      if (ran) {
        const code = outcome.ok ? 'ok' : outcome.error.code;
        assert.ok(!['DROPPED', 'DEADLINE_EXCEEDED', 'QUEUE_FULL', 'MODEL_NOT_FOUND'].includes(code), `${where}: ran, then answered ${code}`);
        if (outcome.ok) {
          const sum = outcome.prediction.outputs[0]?.rawData;
          assert.ok(sum !== undefined, `${where}: no output`);
          const value = new Float32Array(new Uint8Array(sum).buffer)[0];
          assert.equal(value, id, `${where}: answered with another item's result`);
          assert.ok(!tracked.cancelled, `${where}: cancelled, yet answered with a result`);
        } else if (code === 'UNAVAILABLE') {
          assert.ok(abandoned || tracked.item.model === 'add-held', `${where}: UNAVAILABLE without a stop or unload`);
        }
      } else if (outcome.ok) {
        assert.fail(`${where}: answered with a result it never ran for`);
      }
    }
    const code = (i: Tracked): string => (i.outcome?.ok === false ? i.outcome.error.code : 'ok');
    const count = (c: string): number => items.filter((i) => code(i) === c).length;
    t.diagnostic(
      `seed ${seed}: ${items.length} items, ${watched.ran.size} ran; answered ok ${count('ok')}, dropped ${count('DROPPED')}, ` +
        `expired ${count('DEADLINE_EXCEEDED')}, cancelled ${count('CANCELLED')}, unavailable ${count('UNAVAILABLE')}, failed ${count('INTERNAL')}`,
    );
  }
});
