import { readFileSync } from 'node:fs';

// The scipy 1.10.1 answers for each case in test/fixtures/drift/drift-reference.json; see that folder's README for provenance.
export interface NumericCase {
  kind: 'numeric';
  reference: number[];
  current: number[];
  ks_statistic: number;
  ks_pvalue_auto: number;
  ks_pvalue_asymp: number;
  wasserstein: number;
  wasserstein_normed: number;
}
export interface CategoricalCase {
  kind: 'categorical';
  categories: string[];
  reference_counts: number[];
  current_counts: number[];
  chisquare_statistic: number;
  chisquare_pvalue: number;
  jensenshannon: number;
}
export interface PsiCase {
  kind: 'psi';
  reference_proportions: number[];
  current_proportions: number[];
  psi: number;
}
export type Case = NumericCase | CategoricalCase | PsiCase;

export const referenceCases: Case[] = (
  JSON.parse(readFileSync(new URL('../../fixtures/drift/drift-reference.json', import.meta.url), 'utf8')) as { cases: Case[] }
).cases;
