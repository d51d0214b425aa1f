import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickMembers, type MemberCandidate } from '../../ipbx/queues/queue-strategy.ts';

const order = ['a', 'b', 'c'];
const fresh = (extension: string, answered = 0, lastCallEndedAt: number | null = null): MemberCandidate => ({ extension, answered, lastCallEndedAt });
const ctx = (tried: string[] = [], lastRoundRobin?: string, random = () => 0) => ({ tried: new Set(tried), lastRoundRobin, order, random });

test('ringall rings every available member', () => {
  assert.deepEqual(pickMembers('ringall', [fresh('a'), fresh('c')], ctx()).members, ['a', 'c']);
});

test('linear goes down the list, skipping members already tried for this caller, then starts a new round', () => {
  const all = order.map((e) => fresh(e));
  assert.deepEqual(pickMembers('linear', all, ctx()).members, ['a']);
  assert.deepEqual(pickMembers('linear', all, ctx(['a'])).members, ['b']);
  const round = pickMembers('linear', all, ctx(['a', 'b', 'c']));
  assert.deepEqual(round, { members: ['a'], newRound: true });
});

test('rrmemory starts after the member the queue called last, wrapping round', () => {
  const all = order.map((e) => fresh(e));
  assert.deepEqual(pickMembers('rrmemory', all, ctx([], 'a')).members, ['b']);
  assert.deepEqual(pickMembers('rrmemory', all, ctx([], 'c')).members, ['a']);
  // b is busy: after a comes c.
  assert.deepEqual(pickMembers('rrmemory', [fresh('a'), fresh('c')], ctx([], 'a')).members, ['c']);
});

test('leastrecent picks who finished longest ago (never is oldest); fewestcalls who answered least', () => {
  const members = [fresh('a', 3, 5000), fresh('b', 1, 9000), fresh('c', 2, 1000)];
  assert.deepEqual(pickMembers('leastrecent', members, ctx()).members, ['c']);
  assert.deepEqual(pickMembers('leastrecent', [...members, fresh('d')], { ...ctx(), order: [...order, 'd'] }).members, ['d']);
  assert.deepEqual(pickMembers('fewestcalls', members, ctx()).members, ['b']);
  assert.deepEqual(pickMembers('fewestcalls', members, ctx(['b'])).members, ['c']);
});

test('random uses the given random source, within the untried members', () => {
  const all = order.map((e) => fresh(e));
  assert.deepEqual(pickMembers('random', all, ctx([], undefined, () => 0.99)).members, ['c']);
  assert.deepEqual(pickMembers('random', all, ctx(['c'], undefined, () => 0.99)).members, ['b']);
});

test('nobody available: nobody rings', () => {
  for (const strategy of ['ringall', 'linear', 'rrmemory', 'leastrecent', 'fewestcalls', 'random'] as const) {
    assert.deepEqual(pickMembers(strategy, [], ctx()).members, []);
  }
});
