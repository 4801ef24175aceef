package dev.streamfit.engine;

/**
 * Knowledge distillation (Hinton et al., 2015): a student is trained on a teacher's softened class probabilities as
 * well as on the labels. The loss per sample is {@code (1 − weight) · CE(label, softmax(z))
 * + weight · T² · KL(softmax(teacherLogits / T) ‖ softmax(z / T))}, whose gradient with respect to the student's logits
 * {@code z} is {@code (1 − weight)(p − y) + weight · T · (p_T − q_T)}; the {@code T²} keeps the soft term's gradients
 * at the scale of the hard one's as {@code T} grows. Immutable; validated on construction (errors name the key, the
 * bound, the value and the flag).
 *
 * @param temperature {@code T}, in [1, 50]: above 1 the teacher's small probabilities (which wrong classes look alike)
 *     weigh more
 * @param weight share of the soft-target term, in [0, 1]: 0 trains on the labels only, 1 on the teacher only
 */
public record Distillation(double temperature, double weight) {
  public Distillation {
    if (!(temperature >= 1 && temperature <= 50)) {
      throw new IllegalArgumentException("trainer.distill-temperature must be in [1, 50], was " + temperature
          + " (set --distill-temperature)");
    }
    if (!(weight >= 0 && weight <= 1)) {
      throw new IllegalArgumentException("trainer.distill-weight must be in [0, 1], was " + weight
          + " (set --distill-weight)");
    }
  }

  /**
   * The teacher's probabilities {@code p} (rows summing to 1) softened at this temperature: {@code softmax(log p / T)},
   * which equals {@code softmax(teacherLogits / T)}. A new array; {@code p} is not modified.
   */
  public double[][] soften(double[][] p) {
    double[][] q = new double[p.length][];
    for (int i = 0; i < p.length; i++) {
      double[] row = new double[p[i].length];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < row.length; c++) {
        row[c] = Math.log(Math.max(p[i][c], 1e-30)) / temperature;
        max = Math.max(max, row[c]);
      }
      double sum = 0;
      for (int c = 0; c < row.length; c++) {
        row[c] = Math.exp(row[c] - max);
        sum += row[c];
      }
      for (int c = 0; c < row.length; c++) {
        row[c] /= sum;
      }
      q[i] = row;
    }
    return q;
  }
}
