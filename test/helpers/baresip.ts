// A real baresip as a desk phone for the integration tests: the driver lives with the scenario
// runner, whose `baresip` phones use it too (see scenarios/runner/phones/baresip-process.ts).

export {
  BaresipError, BaresipPhone, baresipSkipReason, startBaresip,
  type BaresipAccount, type BaresipEvent, type BaresipOptions, type WaitOptions,
} from '../../scenarios/runner/phones/baresip-process.ts';
