// The typed error of the seed's feature: no handler for an ix type. Its details carry
// script_type=<type> all the way to the browser, which offers "Create handler".
import { QntxError } from '../errors.js';

export class NoIngestScriptError extends QntxError {
  readonly scriptType: string;

  constructor(scriptType: string) {
    super('no_ingest_script', 422, `no ingest script for type '${scriptType}'`, {
      details: [`script_type=${scriptType}`],
      hint: `Create a handler for '${scriptType}'`,
    });
    this.scriptType = scriptType;
  }
}
