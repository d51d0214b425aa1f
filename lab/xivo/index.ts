// Public entry of the XiVO / Wazo client (xivo-auth + confd).

export { XivoClient, xivoMessages, type XivoClientOptions } from './xivo-client.ts';
export { XIVO_FLAVOURS, WEBRTC_SIP_OPTIONS, memberUuids, type XivoFlavour, type XivoFlavourId, type WizardInput } from './xivo-flavour.ts';
export * from './confd-resources.ts';
