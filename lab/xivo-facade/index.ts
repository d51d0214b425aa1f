// Public entry of the XiVO-compatible provisioning facade on a voiplab IPBX.

export { startXivoFacade, type XivoFacade, type XivoFacadeOptions, type FacadeAudit, type FacadeCall } from './xivo-facade.ts';
export { ipbxWanted, type IpbxWanted } from './ipbx-mapping.ts';
export type { IpbxApi } from './ipbx-sync.ts';
