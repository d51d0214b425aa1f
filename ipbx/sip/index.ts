// Public entry of voiplab's SIP stack: everything above ipbx/sip (registrar, router, B2BUA, the
// desk-phone emulator, tests) imports from here only. Layers, bottom up:
// message → transport → transaction → dialog → ua, with digest beside them and time behind clock.
export * from './clock.ts';
export * from './coded-error.ts';
export * from './message/index.ts';
export * from './transport/index.ts';
export * from './transaction/index.ts';
export * from './dialog/index.ts';
export * from './digest/index.ts';
export * from './ua/index.ts';
