import { afterEach, describe, expect, it } from 'vitest';
import { EventStore, openDatabase, runMigrations, type StoreDatabase, storeMigrations } from '../../store/index.js';
import { tipsUpcasters } from '../domain/events.js';
import { UserStates } from './user-states.js';

const task = (taskId: string, title = `Task ${taskId}`) => ({
  type: 'task_recorded',
  data: { signalId: `sig-${taskId}`, taskId, title, priority: 2, done: false, source: 'manual' },
});

describe('folded user states', () => {
  let database: StoreDatabase | undefined;
  afterEach(async () => {
    await database?.destroy();
    database = undefined;
  });

  async function open() {
    database = await openDatabase({ sqlitePath: ':memory:' });
    await runMigrations(database, storeMigrations);
    return new EventStore(database, { upcasters: tipsUpcasters });
  }

  it('given a cap of 2, when a third user loads, then the least recently used is dropped and folded again when it comes back', async () => {
    const store = await open();
    for (const user of ['a', 'b', 'c']) await store.append(`user-${user}`, 'any', [task(`${user}1`)]);
    const states = new UserStates(store, 2);
    const first = await states.load('a');
    await states.load('b');
    expect(await states.load('a')).toBe(first); // a is now the most recently used
    await states.load('c');
    expect(states.size).toBe(2);
    expect(await states.load('a')).toBe(first); // still cached: b went
    const again = await states.load('b');
    expect(again.tasks.get('b1')?.title).toBe('Task b1');
    expect(states.size).toBe(2);
  });

  it('given another writer appends, when the user loads again, then only the new events are folded onto the cached state', async () => {
    const store = await open();
    await store.append('user-a', 'any', [task('a1')]);
    const states = new UserStates(store, 4);
    const before = await states.load('a');
    await store.append('user-a', 1, [task('a2')]);
    const after = await states.load('a');
    expect([...after.tasks.keys()]).toEqual(['a1', 'a2']);
    expect(after.version).toBe(2);
    expect(after.tasks.get('a1')).toBe(before.tasks.get('a1'));
    expect(before.tasks.size).toBe(1);
  });

  it('given the stream was deleted and written again with as many events, when the user loads, then it is folded from the start', async () => {
    const store = await open();
    await store.append('user-a', 'any', [task('old')]);
    const states = new UserStates(store, 4);
    expect((await states.load('a')).tasks.has('old')).toBe(true);
    await database?.db.deleteFrom('events').where('stream_id', '=', 'user-a').execute();
    await store.append('user-a', 'no-stream', [task('new')]);
    const reloaded = await states.load('a');
    expect([...reloaded.tasks.keys()]).toEqual(['new']);
  });

  it("given events stored under the old `tips.` names, when the user loads, then they fold as today's events", async () => {
    const store = await open();
    const old = task('legacy', 'Stored before the rename');
    await store.append('user-a', 'any', [{ type: 'tips.task_recorded', data: old.data }, task('current')]);
    const state = await new UserStates(store, 1).load('a');
    expect([...state.tasks.keys()]).toEqual(['legacy', 'current']);
    expect((await store.readStream('user-a')).map((event) => event.type)).toEqual(['task_recorded', 'task_recorded']);
  });
});
