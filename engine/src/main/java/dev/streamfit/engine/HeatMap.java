package dev.streamfit.engine;

import java.util.List;

/**
 * Where a classifier looked for one class (Grad-CAM over its last convolutional block): a {@code rows} x
 * {@code cols} grid over the input image, row-major, values in [0, 1] (1 at the strongest evidence; all 0 when the
 * class has no positive evidence anywhere). Immutable.
 *
 * @param label the class
 * @param probability its predicted probability, in [0, 1]
 * @param values {@code rows * cols} values, copied
 */
public record HeatMap(String label, double probability, int rows, int cols, double[] values) {
  public HeatMap {
    if (rows <= 0 || cols <= 0 || values.length != rows * cols) {
      throw new IllegalArgumentException("a heat map of " + rows + "x" + cols + " needs " + rows * cols + " values, got "
          + values.length);
    }
    values = values.clone();
  }

  /** The value at {@code row}, {@code col}. */
  public double at(int row, int col) {
    return values[row * cols + col];
  }

  /** Row and column of the highest value (the first, in row-major order, on ties). */
  public List<Integer> peak() {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return List.of(best / cols, best % cols);
  }

  @Override
  public double[] values() {
    return values.clone();
  }
}
