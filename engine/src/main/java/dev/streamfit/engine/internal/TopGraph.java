package dev.streamfit.engine.internal;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.transferlearning.TransferLearningHelper;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainable top of a classifier whose bottom is frozen: a graph of its own whose input is the output of the last
 * frozen vertex (the cut), holding copies of the whole graph's trainable parameters and its optimizer state. Training
 * the top on activations is training the whole graph on pixels, without the frozen forward pass; {@link #syncTo}
 * writes the top's parameters (and optimizer state) back into the whole graph before it is serialised. Not
 * thread-safe.
 */
public final class TopGraph {
  private final ComputationGraph top;
  private final String cut;

  private TopGraph(ComputationGraph top, String cut) {
    this.top = top;
    this.cut = cut;
  }

  /**
   * Splits {@code whole} (not modified) at its frozen boundary; the top starts with {@code whole}'s parameters and
   * optimizer state. IllegalArgumentException when nothing is frozen or the boundary is more than one vertex.
   */
  public static TopGraph of(ComputationGraph whole) {
    TransferLearningHelper helper = new TransferLearningHelper(whole);
    ComputationGraph top = helper.unfrozenGraph();
    List<String> inputs = top.getConfiguration().getNetworkInputs();
    if (inputs.size() != 1) {
      throw new IllegalArgumentException("the frozen part must end in one vertex, ends in " + inputs);
    }
    copyParams(whole, top);
    copyCounts(whole, top);
    INDArray state = whole.getUpdater() == null ? null : whole.getUpdater().getStateViewArray();
    if (state != null && state.length() > 0) {
      INDArray mine = top.getUpdater().getStateViewArray();
      checkState(state, mine);
      mine.assign(state);
    }
    return new TopGraph(top, inputs.get(0));
  }

  /** Name of the whole graph's vertex whose output is this graph's input. */
  public String cut() {
    return cut;
  }

  /** The top itself (for fit and output). */
  public ComputationGraph graph() {
    return top;
  }

  /** Writes this top's parameters and, with {@code withUpdater}, its optimizer state into {@code whole}. */
  public void syncTo(ComputationGraph whole, boolean withUpdater) {
    copyParams(top, whole);
    copyCounts(top, whole);
    if (withUpdater) {
      INDArray mine = top.getUpdater().getStateViewArray();
      if (mine != null && mine.length() > 0) {
        INDArray theirs = whole.getUpdater().getStateViewArray();
        checkState(mine, theirs);
        theirs.assign(mine);
      }
    }
  }

  // Adam's bias correction reads the graph's iteration count: the two graphs must agree on it.
  private static void copyCounts(ComputationGraph from, ComputationGraph to) {
    to.getConfiguration().setIterationCount(from.getConfiguration().getIterationCount());
    to.getConfiguration().setEpochCount(from.getConfiguration().getEpochCount());
  }

  // By parameter name, not as one flat vector: a flat copy scrambles depthwise weights (see Models.classifierOn).
  private static void copyParams(ComputationGraph from, ComputationGraph to) {
    for (GraphVertex v : to.getVertices()) {
      if (!v.hasLayer() || v.getLayer().numParams() == 0 || from.getVertex(v.getVertexName()) == null) {
        continue;
      }
      Layer src = from.getLayer(v.getVertexName());
      if (src instanceof FrozenLayer || v.getLayer() instanceof FrozenLayer) {
        continue;
      }
      src.paramTable().forEach((key, value) -> v.getLayer().getParam(key).assign(value));
    }
  }

  // Both graphs list the trainable layers in the same topological order, so their updater states line up; a
  // different length means they do not.
  private static void checkState(INDArray a, INDArray b) {
    if (a.length() != b.length()) {
      throw new IllegalStateException("optimizer state of the top (" + a.length() + " values) does not line up with the"
          + " whole graph's (" + b.length() + ")");
    }
  }
}
