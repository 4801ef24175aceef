package dev.streamfit.engine.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Widens a classifier's softmax output layer from n to m &gt; n classes: a new graph with the same configuration but
 * m outputs; every parameter copied by name; the output layer's weight matrix ({@code [nIn, n]}, 'f' order) and bias
 * copied into its first n columns, so the old classes' logits are unchanged; the new columns keep their fresh
 * (Xavier, zero-bias) initialization. The optimizer state (Adam moments, momentum) is carried over per parameter the
 * same way, so training continues where it was rather than restarting the optimizer. Stateless.
 */
public final class HeadGrowth {
  private HeadGrowth() {}

  /**
   * The grown graph (a new one; {@code graph} is left as it was, the caller closes it). Throws
   * IllegalArgumentException when {@code head} is not a softmax output layer, {@code classes} is not more than its
   * outputs, or the loss has per-class weights (they would need a weight for the new class).
   */
  public static ComputationGraph grow(ComputationGraph graph, String head, int classes) {
    ComputationGraphConfiguration conf = graph.getConfiguration().clone();
    GraphVertex v = conf.getVertices().get(head);
    if (!(v instanceof LayerVertex lv) || !(lv.getLayerConf().getLayer() instanceof BaseOutputLayer out)) {
      throw new IllegalArgumentException("no output layer named " + head + " to grow");
    }
    long before = out.getNOut();
    if (classes <= before) {
      throw new IllegalArgumentException("a head of " + before + " outputs cannot grow to " + classes);
    }
    if (out.getLossFn() instanceof LossMCXENT l && l.getWeights() != null) {
      throw new IllegalArgumentException("a head with per-class loss weights cannot grow (no weight for a new class)");
    }
    out.setNOut(classes);
    ComputationGraph grown = new ComputationGraph(conf);
    grown.init();
    for (Layer layer : graph.getLayers()) {
      String name = layer.conf().getLayer().getLayerName();
      Layer to = grown.getLayer(name);
      layer.paramTable().forEach((key, value) -> {
        INDArray target = to.getParam(key);
        if (name.equals(head)) {
          copyPrefix(value, target); // W [nIn, n] into [nIn, m]; b [1, n] into [1, m]
        } else {
          target.assign(value);
        }
      });
    }
    copyUpdaterState(graph, grown, head);
    return grown;
  }

  /** {@code from}'s columns into the first columns of {@code to} (same rows; 2-d, or a row vector). */
  private static void copyPrefix(INDArray from, INDArray to) {
    if (from.rank() == 2 && to.rank() == 2 && from.rows() == to.rows()) {
      to.get(NDArrayIndex.all(), NDArrayIndex.interval(0, from.columns())).assign(from);
    } else {
      to.reshape(to.length()).get(NDArrayIndex.interval(0, from.length())).assign(from.reshape(from.length()));
    }
  }

  /**
   * Per parameter, the old updater state into the new one. DL4J keeps one state vector per updater block, each
   * parameter a contiguous range of it in the parameter's flattening order ('f' for dense weights), so the old
   * head's state is a prefix of the new head's. Skipped when the old graph has no updater state.
   */
  private static void copyUpdaterState(ComputationGraph from, ComputationGraph to, String head) {
    if (from.getUpdater(false) == null || from.getUpdater(false).getStateViewArray() == null) {
      return;
    }
    Map<String, List<INDArray>> old = stateByParam((BaseMultiLayerUpdater<?>) from.getUpdater(false));
    Map<String, List<INDArray>> fresh = stateByParam((BaseMultiLayerUpdater<?>) to.getUpdater(true));
    fresh.forEach((param, states) -> {
      List<INDArray> before = old.get(param);
      if (before == null || before.size() != states.size()) {
        return;
      }
      for (int k = 0; k < states.size(); k++) {
        INDArray source = before.get(k);
        INDArray target = states.get(k);
        if (source.length() <= target.length()) {
          segment(target, 0, source.length()).assign(source);
        }
      }
    });
  }

  /**
   * "layer/param" → that parameter's slices of the block's state (one per state array: Adam has M then V, Nesterov
   * momentum V), as views. A block's state view holds its state arrays one after another, each as long as the block.
   */
  private static Map<String, List<INDArray>> stateByParam(BaseMultiLayerUpdater<?> updater) {
    Map<String, List<INDArray>> out = new HashMap<>();
    for (UpdaterBlock block : updater.getUpdaterBlocks()) {
      INDArray view = block.getUpdaterView();
      long blockLength = block.getParamOffsetEnd() - block.getParamOffsetStart();
      if (view == null || view.length() == 0 || blockLength == 0 || view.length() % blockLength != 0) {
        continue;
      }
      for (UpdaterBlock.ParamState ps : block.getLayersAndVariablesInBlock()) {
        long start = ps.getParamOffsetStart() - block.getParamOffsetStart();
        long end = ps.getParamOffsetEnd() - block.getParamOffsetStart();
        List<INDArray> slices = new ArrayList<>();
        for (long k = 0; k < view.length() / blockLength; k++) {
          slices.add(segment(view, k * blockLength + start, k * blockLength + end));
        }
        out.put(ps.getLayer().getConfig().getLayerName() + "/" + ps.getParamName(), slices);
      }
    }
    return out;
  }

  /** Elements [from, to) of a vector (rank 1 or a row), as a view. */
  private static INDArray segment(INDArray v, long from, long to) {
    return v.rank() == 1 ? v.get(NDArrayIndex.interval(from, to))
        : v.get(NDArrayIndex.point(0), NDArrayIndex.interval(from, to));
  }
}
