import type { ModelParams } from './predictor.ts';

/** One input of the classifier: a standardized numeric column, or one category of a one-hot encoded column. */
export interface CoefficientInput {
  /** e.g. `bill_length_mm`, or `island = Biscoe`. */
  label: string;
  feature: string;
  category?: string;
}

/** The fitted weights by name: what the report's coefficient table shows. */
export interface CoefficientTable {
  classes: string[];
  inputs: CoefficientInput[];
  /** weights[input][class], on the standardized (numeric) or 0/1 (category) scale the classifier sees. */
  weights: number[][];
  /** The bias of each class. */
  intercepts: number[];
}

/** Names each weight of the multinomial logistic regression (stored class-major, bias last) by its input and class. */
export function coefficientTable(params: ModelParams): CoefficientTable {
  const inputs: CoefficientInput[] = params.pipeline.features.flatMap((f) =>
    f.type === 'numeric' ? [{ label: f.name, feature: f.name }] : f.categories.map((c) => ({ label: `${f.name} = ${c}`, feature: f.name, category: c })),
  );
  const { classes, width, weights } = params.classifier;
  if (inputs.length !== width) throw new Error(`the pipeline gives ${inputs.length} inputs but the classifier has ${width}`);
  const stride = width + 1;
  return {
    classes: [...params.schema.target.classes],
    inputs,
    weights: inputs.map((_, j) => Array.from({ length: classes }, (_, k) => weights[k * stride + j])),
    intercepts: Array.from({ length: classes }, (_, k) => weights[k * stride + width]),
  };
}
