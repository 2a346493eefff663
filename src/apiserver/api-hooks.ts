// TEMPORARY adapter: the api helper's defaults.ts and validation.ts had not landed when the
// registry was written. They are loaded by name when present; until then objects pass
// undefaulted and unvalidated. Replace with static imports once both files exist.
import type { KubeObject } from "../api/types.js";
import type { FieldError } from "../api/field-errors.js";

export let applyDefaults: (obj: KubeObject) => KubeObject = (o) => o;
export let validateObject: (obj: KubeObject, old?: KubeObject) => FieldError[] = () => [];
export let hooksLoaded = { defaults: false, validation: false };

const defaultsPath = "../api/defaults.js";
const validationPath = "../api/validation.js";
try {
  const m = (await import(defaultsPath)) as { applyDefaults?: typeof applyDefaults };
  if (m.applyDefaults) {
    applyDefaults = m.applyDefaults;
    hooksLoaded = { ...hooksLoaded, defaults: true };
  }
} catch {
  // not there yet
}
try {
  const m = (await import(validationPath)) as { validateObject?: typeof validateObject };
  if (m.validateObject) {
    validateObject = m.validateObject;
    hooksLoaded = { ...hooksLoaded, validation: true };
  }
} catch {
  // not there yet
}
