// Public entry of the dialog layer.
export { Dialog, DialogError, DialogState, dialogKey, type DialogId, type IncomingCheck } from './dialog.ts';
