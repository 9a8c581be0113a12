// Summation for long columns: a naive running sum over 10^6 values loses
// digits that the statistics are compared on.

/** Neumaier's compensated (Kahan-Babuska) sum. */
export class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(x: number): void {
    const t = this.sum + x;
    this.compensation += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
  }

  get value(): number {
    return this.sum + this.compensation;
  }
}
