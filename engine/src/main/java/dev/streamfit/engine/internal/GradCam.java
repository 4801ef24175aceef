package dev.streamfit.engine.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Grad-CAM (Selvaraju et al.) over the convolutional map that feeds a classifier's global pooling: the map's channels
 * weighted by the class score's gradient (the logit, before softmax), summed, rectified and scaled to [0, 1]. The
 * head is global pooling, an optional ReLU dense layer, and the output layer, so the gradient with respect to the
 * pooled features is exact in closed form: {@code W_out[:, c]}, or {@code W_in (relu'(g W_in + b) ⊙ W_out[:, c])}
 * with the inner layer; pooling spreads it evenly over the map (average) or to one cell (max), and either way its
 * spatial mean — the channel weight — is that gradient over {@code rows * cols}. Stateless.
 */
public final class GradCam {
  /**
   * The maps of one image, one per class, row-major; the map's size; the classes (output indices) and their
   * probabilities, most probable first (for {@link #channels}: the channels, no classes).
   */
  public record Maps(int rows, int cols, List<double[]> perClass, int[] classes, double[] probabilities) {}

  private GradCam() {}

  /**
   * Maps for the {@code topK} most probable classes of the one image in {@code x} (one forward pass gives both), by a
   * graph whose output layer is {@code head} and whose optional inner dense layer is {@code inner}.
   */
  public static Maps of(ComputationGraph graph, INDArray x, int topK, String head, String inner) {
    ComputationGraphConfiguration conf = graph.getConfiguration();
    String in = conf.getVertexInputs().get(head).get(0);
    boolean hasInner = in.equals(inner);
    String pool = hasInner ? conf.getVertexInputs().get(inner).get(0) : in;
    String map = conf.getVertexInputs().get(pool).get(0);
    Map<String, INDArray> acts = graph.feedForward(x, false);
    try {
      INDArray a = acts.get(map);
      INDArray g = acts.get(pool);
      double[] probs = acts.get(head).dup().reshape(acts.get(head).length()).toDoubleVector();
      Integer[] order = new Integer[probs.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (i, j) -> Double.compare(probs[j], probs[i]));
      int[] classes = new int[Math.max(1, Math.min(topK, probs.length))];
      double[] top = new double[classes.length];
      for (int i = 0; i < classes.length; i++) {
        classes[i] = order[i];
        top[i] = probs[order[i]];
      }
      if (a == null || g == null || a.rank() != 4) {
        throw new IllegalStateException("no convolutional map before " + pool + " (found " + (a == null ? "none"
            : a.shapeInfoToString()) + ")");
      }
      int k = (int) g.size(1);
      boolean nchw = a.size(1) == k;
      int rows = (int) (nchw ? a.size(2) : a.size(1));
      int cols = (int) (nchw ? a.size(3) : a.size(2));
      float[] av = (nchw ? a : a.permute(0, 3, 1, 2)).dup('c').reshape(a.length()).toFloatVector(); // [k][rows][cols]
      double[] pooled = g.reshape(g.length()).toDoubleVector();
      double[][] wOut = graph.getLayer(head).getParam("W").toDoubleMatrix(); // [nIn][classes]
      double[][] wIn = hasInner ? graph.getLayer(inner).getParam("W").toDoubleMatrix() : null; // [k][innerSize]
      double[] bIn = hasInner ? graph.getLayer(inner).getParam("b").dup().reshape(wIn[0].length).toDoubleVector() : null;
      boolean[] open = hasInner ? active(pooled, wIn, bIn) : null;
      List<double[]> out = new ArrayList<>();
      for (int c : classes) {
        double[] grad = new double[k];
        for (int i = 0; i < k; i++) {
          if (hasInner) {
            double s = 0;
            for (int j = 0; j < bIn.length; j++) {
              s += open[j] ? wIn[i][j] * wOut[j][c] : 0;
            }
            grad[i] = s;
          } else {
            grad[i] = wOut[i][c];
          }
        }
        out.add(cam(av, grad, rows, cols));
      }
      return new Maps(rows, cols, out, classes, top);
    } finally {
      acts.forEach((name, v) -> {
        if (v != x && v.closeable()) {
          v.close();
        }
      });
    }
  }

  /**
   * The first {@code most} channels of vertex {@code layer}'s output for the one image in {@code x}, each scaled to
   * [0, 1]; plus the layer's channel count and map size.
   *
   * @throws IllegalArgumentException if {@code layer} is not a vertex with a rank-4 (image-shaped) output
   */
  public static Maps channels(ComputationGraph graph, INDArray x, String layer, int most, int[] channelCount) {
    Map<String, INDArray> acts = graph.feedForward(x, false);
    try {
      INDArray a = acts.get(layer);
      if (a == null || a.rank() != 4) {
        throw new IllegalArgumentException("layer " + layer + " has no image-shaped output; convolutional layers: "
            + String.join(", ", imageLayers(acts)));
      }
      int k = (int) a.size(1);
      int rows = (int) a.size(2);
      int cols = (int) a.size(3);
      channelCount[0] = k;
      float[] av = a.dup('c').reshape(a.length()).toFloatVector();
      List<double[]> out = new ArrayList<>();
      int cells = rows * cols;
      for (int c = 0; c < Math.min(most, k); c++) {
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (int p = 0; p < cells; p++) {
          lo = Math.min(lo, av[c * cells + p]);
          hi = Math.max(hi, av[c * cells + p]);
        }
        double[] m = new double[cells];
        for (int p = 0; p < cells; p++) {
          m[p] = hi > lo ? (av[c * cells + p] - lo) / (hi - lo) : 0;
        }
        out.add(m);
      }
      return new Maps(rows, cols, out, new int[0], new double[0]);
    } finally {
      acts.forEach((name, v) -> {
        if (v != x && v.closeable()) {
          v.close();
        }
      });
    }
  }

  /** Names of the vertices whose output is image-shaped, in the graph's order. */
  private static List<String> imageLayers(Map<String, INDArray> acts) {
    return acts.entrySet().stream().filter(e -> e.getValue() != null && e.getValue().rank() == 4).map(Map.Entry::getKey)
        .toList();
  }

  /** Which inner units pass (ReLU) for pooled features {@code g}. */
  private static boolean[] active(double[] g, double[][] w, double[] b) {
    boolean[] open = new boolean[b.length];
    for (int j = 0; j < b.length; j++) {
      double z = b[j];
      for (int i = 0; i < g.length; i++) {
        z += g[i] * w[i][j];
      }
      open[j] = z > 0;
    }
    return open;
  }

  /** ReLU of the gradient-weighted channel sum, scaled so its maximum is 1 (all 0 when nothing is positive). */
  private static double[] cam(float[] a, double[] weight, int rows, int cols) {
    int cells = rows * cols;
    double[] m = new double[cells];
    for (int k = 0; k < weight.length; k++) {
      double w = weight[k];
      int base = k * cells;
      for (int p = 0; p < cells; p++) {
        m[p] += w * a[base + p];
      }
    }
    double max = 0;
    for (int p = 0; p < cells; p++) {
      m[p] = Math.max(0, m[p]);
      max = Math.max(max, m[p]);
    }
    if (max > 0) {
      for (int p = 0; p < cells; p++) {
        m[p] /= max;
      }
    }
    return m;
  }
}
