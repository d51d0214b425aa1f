// The confd 1.1 resources a XiVO-compatible facade keeps (users, SIP endpoints, lines, extensions,
// call groups, the wizard) and the operations lab/xivo calls on them, with XiVO 16.15's answers:
// views shaped as confd lists them, `Resource Not Found - …` / `Resource Error - …` messages, and
// refusals where confd refuses (a duplicate extension, deleting what is still associated).

import { randomUUID } from 'node:crypto';

export interface ConfdAnswer {
  status: number;
  body?: unknown;
}

export interface FacadeUser { id: number; uuid: string; firstname: string; lastname: string; userfield: string }
export interface FacadeEndpoint { id: number; username: string; secret: string; type: string; host: string; options: string[][] }
export interface FacadeLine { id: number; context: string; provisioningCode: string; sipId?: number; extensionIds: number[]; userUuids: string[] }
export interface FacadeExtension { id: number; exten: string; context: string }
export interface FacadeGroup { id: number; name: string; extensionIds: number[]; memberUuids: string[] }

export const notFound = (what: string): ConfdAnswer => ({ status: 404, body: [`Resource Not Found - ${what} was not found`] });
export const resourceError = (message: string): ConfdAnswer => ({ status: 400, body: [`Resource Error - ${message}`] });
export const inputError = (field: string, message: string): ConfdAnswer => ({ status: 400, body: [`Input Error - field '${field}': ${message}`] });
const DONE: ConfdAnswer = { status: 204 };

function page<T>(all: T[], query: { limit?: number; offset?: number }): ConfdAnswer {
  const offset = query.offset ?? 0;
  const items = all.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
  return { status: 200, body: { items, total: all.length } };
}

export class ConfdModel {
  users: FacadeUser[] = [];
  endpoints: FacadeEndpoint[] = [];
  lines: FacadeLine[] = [];
  extensions: FacadeExtension[] = [];
  groups: FacadeGroup[] = [];
  private nextId = 1;

  private id(): number {
    return this.nextId++;
  }

  userByIdOrUuid(id: string): FacadeUser | undefined {
    return this.users.find((u) => String(u.id) === id || u.uuid === id);
  }

  // --- users

  listUsers(query: { limit?: number; offset?: number }): ConfdAnswer {
    return page(this.users.map((u) => this.userView(u)), query);
  }

  createUser(body: { firstname: string; lastname?: string; userfield?: string }): ConfdAnswer {
    const user: FacadeUser = { id: this.id(), uuid: randomUUID(), firstname: body.firstname, lastname: body.lastname ?? '', userfield: body.userfield ?? '' };
    this.users.push(user);
    return { status: 201, body: this.userView(user) };
  }

  getUser(id: string): ConfdAnswer {
    const user = this.userByIdOrUuid(id);
    return user === undefined ? notFound('User') : { status: 200, body: this.userView(user) };
  }

  deleteUser(id: string): ConfdAnswer {
    const user = this.userByIdOrUuid(id);
    if (user === undefined) return notFound('User');
    if (this.lines.some((l) => l.userUuids.includes(user.uuid))) return resourceError('User is associated with a Line');
    this.users = this.users.filter((u) => u !== user);
    for (const g of this.groups) g.memberUuids = g.memberUuids.filter((uuid) => uuid !== user.uuid);
    return DONE;
  }

  // --- SIP endpoints

  listEndpoints(query: { limit?: number; offset?: number }): ConfdAnswer {
    return page(this.endpoints.map((e) => this.endpointView(e)), query);
  }

  createEndpoint(body: { username?: string; secret?: string; type?: string; host?: string; options?: string[][] }): ConfdAnswer {
    const username = body.username ?? randomUUID().replaceAll('-', '').slice(0, 8);
    if (this.endpoints.some((e) => e.username === username)) return resourceError(`SIPEndpoint already exists ('username': '${username}')`);
    const endpoint: FacadeEndpoint = {
      id: this.id(), username, secret: body.secret ?? randomUUID().replaceAll('-', '').slice(0, 12), type: body.type ?? 'friend', host: body.host ?? 'dynamic', options: body.options ?? [],
    };
    this.endpoints.push(endpoint);
    return { status: 201, body: this.endpointView(endpoint) };
  }

  getEndpoint(id: number): ConfdAnswer {
    const endpoint = this.endpoints.find((e) => e.id === id);
    return endpoint === undefined ? notFound('SIPEndpoint') : { status: 200, body: this.endpointView(endpoint) };
  }

  updateEndpoint(id: number, body: { username?: string; secret?: string; type?: string; host?: string; options?: string[][] }): ConfdAnswer {
    const endpoint = this.endpoints.find((e) => e.id === id);
    if (endpoint === undefined) return notFound('SIPEndpoint');
    if (body.username !== undefined && this.endpoints.some((e) => e !== endpoint && e.username === body.username)) return resourceError(`SIPEndpoint already exists ('username': '${body.username}')`);
    Object.assign(endpoint, Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));
    return DONE;
  }

  deleteEndpoint(id: number): ConfdAnswer {
    const endpoint = this.endpoints.find((e) => e.id === id);
    if (endpoint === undefined) return notFound('SIPEndpoint');
    if (this.lines.some((l) => l.sipId === id)) return resourceError('SIPEndpoint is associated with a Line');
    this.endpoints = this.endpoints.filter((e) => e !== endpoint);
    return DONE;
  }

  // --- lines

  listLines(query: { limit?: number; offset?: number }): ConfdAnswer {
    return page(this.lines.map((l) => this.lineView(l)), query);
  }

  createLine(body: { context: string }): ConfdAnswer {
    const line: FacadeLine = { id: this.id(), context: body.context, provisioningCode: String(100000 + this.nextId), extensionIds: [], userUuids: [] };
    this.lines.push(line);
    return { status: 201, body: this.lineView(line) };
  }

  getLine(id: number): ConfdAnswer {
    const line = this.lines.find((l) => l.id === id);
    return line === undefined ? notFound('Line') : { status: 200, body: this.lineView(line) };
  }

  deleteLine(id: number): ConfdAnswer {
    const line = this.lines.find((l) => l.id === id);
    if (line === undefined) return notFound('Line');
    if (line.userUuids.length > 0) return resourceError('Line is associated with a User');
    if (line.extensionIds.length > 0) return resourceError('Line is associated with an Extension');
    if (line.sipId !== undefined) return resourceError('Line is associated with a SIPEndpoint');
    this.lines = this.lines.filter((l) => l !== line);
    return DONE;
  }

  linkLineEndpoint(lineId: number, sipId: number, link: boolean): ConfdAnswer {
    const line = this.lines.find((l) => l.id === lineId);
    if (line === undefined) return notFound('Line');
    if (!this.endpoints.some((e) => e.id === sipId)) return notFound('SIPEndpoint');
    if (!link) {
      if (line.sipId !== sipId) return resourceError('Line and SIPEndpoint are not associated');
      delete line.sipId;
      return DONE;
    }
    if (line.sipId !== undefined && line.sipId !== sipId) return resourceError('Line already associated to an endpoint');
    if (this.lines.some((l) => l !== line && l.sipId === sipId)) return resourceError('SIPEndpoint already associated to a Line');
    line.sipId = sipId;
    return DONE;
  }

  linkLineExtension(lineId: number, extensionId: number, link: boolean): ConfdAnswer {
    const line = this.lines.find((l) => l.id === lineId);
    if (line === undefined) return notFound('Line');
    if (!this.extensions.some((e) => e.id === extensionId)) return notFound('Extension');
    if (!link) {
      if (!line.extensionIds.includes(extensionId)) return resourceError('Line and Extension are not associated');
      line.extensionIds = line.extensionIds.filter((id) => id !== extensionId);
      return DONE;
    }
    if (this.groups.some((g) => g.extensionIds.includes(extensionId))) return resourceError('Extension is associated with a Group');
    if (!line.extensionIds.includes(extensionId)) line.extensionIds.push(extensionId);
    return DONE;
  }

  linkUserLine(userId: string, lineId: number, link: boolean): ConfdAnswer {
    const user = this.userByIdOrUuid(userId);
    const line = this.lines.find((l) => l.id === lineId);
    if (user === undefined) return notFound('User');
    if (line === undefined) return notFound('Line');
    if (!link) {
      if (!line.userUuids.includes(user.uuid)) return resourceError('User and Line are not associated');
      line.userUuids = line.userUuids.filter((uuid) => uuid !== user.uuid);
      return DONE;
    }
    if (!line.userUuids.includes(user.uuid)) line.userUuids.push(user.uuid);
    return DONE;
  }

  // --- extensions

  listExtensions(query: { limit?: number; offset?: number }): ConfdAnswer {
    return page(this.extensions.map((e) => this.extensionView(e)), query);
  }

  createExtension(body: { exten: string; context: string }): ConfdAnswer {
    if (this.extensions.some((e) => e.exten === body.exten && e.context === body.context)) {
      return resourceError(`Extension already exists ('exten': '${body.exten}', 'context': '${body.context}')`);
    }
    const extension: FacadeExtension = { id: this.id(), exten: body.exten, context: body.context };
    this.extensions.push(extension);
    return { status: 201, body: this.extensionView(extension) };
  }

  getExtension(id: number): ConfdAnswer {
    const extension = this.extensions.find((e) => e.id === id);
    return extension === undefined ? notFound('Extension') : { status: 200, body: this.extensionView(extension) };
  }

  deleteExtension(id: number): ConfdAnswer {
    const extension = this.extensions.find((e) => e.id === id);
    if (extension === undefined) return notFound('Extension');
    if (this.lines.some((l) => l.extensionIds.includes(id))) return resourceError('Extension is associated with a Line');
    if (this.groups.some((g) => g.extensionIds.includes(id))) return resourceError('Extension is associated with a Group');
    this.extensions = this.extensions.filter((e) => e !== extension);
    return DONE;
  }

  // --- call groups

  listGroups(query: { limit?: number; offset?: number }): ConfdAnswer {
    return page(this.groups.map((g) => this.groupView(g)), query);
  }

  createGroup(body: { name: string }): ConfdAnswer {
    if (this.groups.some((g) => g.name === body.name)) return resourceError(`Group already exists ('name': '${body.name}')`);
    const group: FacadeGroup = { id: this.id(), name: body.name, extensionIds: [], memberUuids: [] };
    this.groups.push(group);
    return { status: 201, body: this.groupView(group) };
  }

  deleteGroup(id: number): ConfdAnswer {
    const group = this.groups.find((g) => g.id === id);
    if (group === undefined) return notFound('Group');
    this.groups = this.groups.filter((g) => g !== group);
    return DONE;
  }

  linkGroupExtension(groupId: number, extensionId: number, link: boolean): ConfdAnswer {
    const group = this.groups.find((g) => g.id === groupId);
    if (group === undefined) return notFound('Group');
    if (!this.extensions.some((e) => e.id === extensionId)) return notFound('Extension');
    if (!link) {
      group.extensionIds = group.extensionIds.filter((id) => id !== extensionId);
      return DONE;
    }
    if (this.lines.some((l) => l.extensionIds.includes(extensionId))) return resourceError('Extension is associated with a Line');
    if (!group.extensionIds.includes(extensionId)) group.extensionIds.push(extensionId);
    return DONE;
  }

  setGroupMembers(groupId: number, uuids: string[]): ConfdAnswer {
    const group = this.groups.find((g) => g.id === groupId);
    if (group === undefined) return notFound('Group');
    const missing = uuids.find((uuid) => this.userByIdOrUuid(uuid) === undefined);
    if (missing !== undefined) return notFound('User');
    group.memberUuids = [...new Set(uuids)];
    return DONE;
  }

  // --- views, as confd 16.15 lists them

  userView(u: FacadeUser): Record<string, unknown> {
    const lines = this.lines.filter((l) => l.userUuids.includes(u.uuid)).map((l) => ({ id: l.id }));
    return { id: u.id, uuid: u.uuid, firstname: u.firstname, lastname: u.lastname, userfield: u.userfield, lines };
  }

  endpointView(e: FacadeEndpoint): Record<string, unknown> {
    return { id: e.id, username: e.username, secret: e.secret, type: e.type, host: e.host, options: e.options };
  }

  lineView(l: FacadeLine): Record<string, unknown> {
    const sip = this.endpoints.find((e) => e.id === l.sipId);
    return {
      id: l.id, context: l.context, provisioning_code: l.provisioningCode, position: 1, protocol: 'sip', name: sip?.username ?? '',
      ...(sip === undefined ? {} : { endpoint_sip: { id: sip.id, username: sip.username } }),
      extensions: l.extensionIds.map((id) => this.extensions.find((e) => e.id === id)).filter((e) => e !== undefined).map((e) => ({ id: e.id, exten: e.exten, context: e.context })),
      users: l.userUuids.map((uuid) => this.users.find((u) => u.uuid === uuid)).filter((u) => u !== undefined).map((u) => ({ uuid: u.uuid, firstname: u.firstname, lastname: u.lastname })),
    };
  }

  extensionView(e: FacadeExtension): Record<string, unknown> {
    return { id: e.id, exten: e.exten, context: e.context, commented: false, lines: this.lines.filter((l) => l.extensionIds.includes(e.id)).map((l) => ({ id: l.id })) };
  }

  groupView(g: FacadeGroup): Record<string, unknown> {
    const users = g.memberUuids.map((uuid) => this.users.find((u) => u.uuid === uuid)).filter((u) => u !== undefined).map((u) => ({ uuid: u.uuid, firstname: u.firstname, lastname: u.lastname }));
    return {
      id: g.id, name: g.name,
      extensions: g.extensionIds.map((id) => this.extensions.find((e) => e.id === id)).filter((e) => e !== undefined).map((e) => ({ id: e.id, exten: e.exten, context: e.context })),
      members: [{ users }],
    };
  }
}
