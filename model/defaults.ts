/**
 * The defaults every entry point shares: which registered model is served
 * and deployed when none is named, and the quality gate a trained model must
 * pass before it takes the alias. The CLI, the serving program, the CDK app
 * and the cdktf app all read them from here.
 */
export const DEFAULT_MODEL_NAME = 'penguins';
export const DEFAULT_ALIAS = 'champion';
export const DEFAULT_MODEL_REF = `models:/${DEFAULT_MODEL_NAME}@${DEFAULT_ALIAS}`;
/** Mean cross-validated accuracy a model needs to be registered under the alias. */
export const DEFAULT_ACCURACY_THRESHOLD = 0.7;
