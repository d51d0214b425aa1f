// What the XiVO facade asks of its IPBX for a given confd state: a line with a SIP endpoint is an
// account, its extensions rules to it; a call group with an extension and members is a ring group;
// pieces not yet joined (a line without endpoint, a group without members) ask for nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfdModel } from '../../lab/xivo-facade/confd-model.ts';
import { ipbxWanted } from '../../lab/xivo-facade/ipbx-mapping.ts';

function created<T>(answer: { status: number; body?: unknown }): T {
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body as T;
}

test('a complete line is an account with its rule; an unjoined line and a memberless group ask for nothing', () => {
  const m = new ConfdModel();
  const alice = created<{ id: number; uuid: string }>(m.createUser({ firstname: 'Alice', lastname: 'Martin' }));
  const sip = created<{ id: number }>(m.createEndpoint({ username: '1001', secret: 'alice-secret' }));
  const line = created<{ id: number }>(m.createLine({ context: 'default' }));
  const ext = created<{ id: number }>(m.createExtension({ exten: '1001', context: 'default' }));
  created<{ id: number }>(m.createLine({ context: 'default' }));
  const group = created<{ id: number }>(m.createGroup({ name: 'support' }));
  const groupExt = created<{ id: number }>(m.createExtension({ exten: '1100', context: 'default' }));
  assert.deepEqual(ipbxWanted(m), { accounts: [], groups: [], rules: [] });

  assert.equal(m.linkLineEndpoint(line.id, sip.id, true).status, 204);
  assert.equal(m.linkLineExtension(line.id, ext.id, true).status, 204);
  assert.equal(m.linkUserLine(alice.uuid, line.id, true).status, 204);
  assert.equal(m.linkGroupExtension(group.id, groupExt.id, true).status, 204);
  assert.deepEqual(ipbxWanted(m).groups, [], 'a group without members rings nobody');

  assert.equal(m.setGroupMembers(group.id, [alice.uuid]).status, 204);
  assert.deepEqual(ipbxWanted(m), {
    accounts: [{ extension: '1001', password: 'alice-secret', displayName: 'Alice Martin' }],
    groups: [{ name: `xivo-group-${group.id}`, strategy: 'simultaneous', members: ['1001'] }],
    rules: [{ match: '1001', action: { type: 'account', extension: '1001' } }, { match: '1100', action: { type: 'group', group: `xivo-group-${group.id}` } }],
  });
});

test('confd refuses to delete what is still associated, and a duplicate extension', () => {
  const m = new ConfdModel();
  const user = created<{ id: number; uuid: string }>(m.createUser({ firstname: 'Bob' }));
  const line = created<{ id: number }>(m.createLine({ context: 'default' }));
  const ext = created<{ id: number }>(m.createExtension({ exten: '1002', context: 'default' }));
  assert.deepEqual(m.createExtension({ exten: '1002', context: 'default' }), { status: 400, body: ["Resource Error - Extension already exists ('exten': '1002', 'context': 'default')"] });
  m.linkUserLine(String(user.id), line.id, true);
  m.linkLineExtension(line.id, ext.id, true);
  assert.deepEqual(m.deleteUser(String(user.id)), { status: 400, body: ['Resource Error - User is associated with a Line'] });
  assert.deepEqual(m.deleteExtension(ext.id), { status: 400, body: ['Resource Error - Extension is associated with a Line'] });
  assert.deepEqual(m.deleteLine(line.id), { status: 400, body: ['Resource Error - Line is associated with a User'] });
  m.linkUserLine(user.uuid, line.id, false);
  m.linkLineExtension(line.id, ext.id, false);
  assert.equal(m.deleteLine(line.id).status, 204);
  assert.equal(m.deleteExtension(ext.id).status, 204);
  assert.equal(m.deleteUser(user.uuid).status, 204);
  assert.deepEqual(m.getUser(user.uuid), { status: 404, body: ['Resource Not Found - User was not found'] });
});
