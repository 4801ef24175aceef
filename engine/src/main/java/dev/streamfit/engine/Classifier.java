package dev.streamfit.engine;

import dev.streamfit.engine.internal.DistillationLoss;
import dev.streamfit.engine.internal.HeadGrowth;
import dev.streamfit.engine.internal.TopGraph;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * A trainable image classifier over uint8 HWC RGB pixels at its input size: fit a minibatch, class probabilities,
 * learning rates, head growth (a label set that grew), bytes. It hides the DL4J graph and its tensors from the
 * stages (the trainer and the serving verifier see this type and {@link Predictor}, never {@code ComputationGraph} or
 * {@code INDArray}). Not thread-safe; {@link #close} frees its native memory, after which it must not be used.
 */
public final class Classifier implements AutoCloseable {
  private volatile int nativeThreads;
  private ComputationGraph graph;
  private final InputContract contract;
  private final InputEncoder encoder;
  private int classes;
  // The trainable top, built on the first call with activations; ahead of the whole graph after fitting it.
  private TopGraph top;
  private boolean topAhead;

  private Classifier(ComputationGraph graph, InputContract contract, int classes) {
    this.graph = Objects.requireNonNull(graph, "graph");
    this.contract = contract;
    this.encoder = contract.encoder();
    this.classes = classes;
  }

  /** A new classifier: {@code base} (frozen, per {@code spec}) and a fresh head with one output per label. */
  public static Classifier create(BaseModel base, TrainingSpec spec, List<String> labels, long seed, int imageSize) {
    return create(base, spec, ScratchShape.DEFAULT, labels, seed, imageSize);
  }

  /** As {@link #create(BaseModel, TrainingSpec, List, long, int)}; {@code shape} applies to {@link BaseModel#SCRATCH_CNN}. */
  public static Classifier create(BaseModel base, TrainingSpec spec, ScratchShape shape, List<String> labels, long seed,
      int imageSize) {
    return new Classifier(Models.newClassifier(base, spec, shape, labels, seed, imageSize), InputContract.square(imageSize),
        labels.size());
  }

  /**
   * A classifier restored from {@link #toBytes}; {@code withUpdater} restores the optimizer state too (to train
   * on). It takes {@code contract}: the one its version declares.
   */
  public static Classifier fromBytes(byte[] bytes, boolean withUpdater, InputContract contract) throws IOException {
    ComputationGraph g = Models.fromBytes(bytes, withUpdater);
    int outputs = g.getOutputLayer(0).conf().getLayer() instanceof FeedForwardLayer f
        ? (int) f.getNOut() : -1;
    return new Classifier(g, contract, outputs);
  }

  /**
   * One optimisation step on a minibatch: {@code pixels} (uint8 HWC RGB at the input size) with the class index of
   * each. Returns the minibatch loss (NaN or infinite when training diverged). IllegalStateException when this
   * classifier distils (see {@link #fit(List, int[], double[][])}).
   */
  public double fit(List<byte[]> pixels, int[] classIndex) {
    return fit(pixels, classIndex, null);
  }

  /**
   * As {@link #fit(List, int[])}, with a teacher's class probabilities for each image ({@code teacher[i]}, one per
   * output, summing to 1) when this classifier was built to distil ({@link #distillation()} non-null); null otherwise.
   * The teacher's rows are softened here at the distillation's temperature.
   */
  public double fit(List<byte[]> pixels, int[] classIndex, double[][] teacher) {
    open();
    if (pixels.size() != classIndex.length) {
      throw new IllegalArgumentException(pixels.size() + " images but " + classIndex.length + " labels");
    }
    float[] y = targets(classIndex, teacher);
    dropTop();
    try (INDArray x = encoder.encode(pixels);
        INDArray labels = Nd4j.create(y, new long[] {pixels.size(), y.length / pixels.size()})) {
      threads(pixels.size());
      graph.fit(new DataSet(x, labels));
    }
    return graph.score();
  }

  /** The distillation this classifier trains with (its loss), or null when it trains on labels only. */
  public Distillation distillation() {
    return open().getOutputLayer(0).conf().getLayer() instanceof BaseOutputLayer o
        && o.getLossFn() instanceof DistillationLoss d ? new Distillation(d.temperature(), d.weight()) : null;
  }

  // One-hot labels, then (distilling) the softened teacher probabilities: [n, C] or [n, 2C], row-major.
  private float[] targets(int[] classIndex, double[][] teacher) {
    Distillation d = distillation();
    if ((d == null) != (teacher == null)) {
      throw new IllegalStateException(d == null ? "teacher probabilities given to a classifier that does not distil"
          : "this classifier distils (" + d + "): fit needs the teacher's probabilities");
    }
    int width = d == null ? classes : 2 * classes;
    double[][] q = d == null ? null : d.soften(teacher);
    float[] y = new float[classIndex.length * width];
    for (int i = 0; i < classIndex.length; i++) {
      if (classIndex[i] < 0 || classIndex[i] >= classes) {
        throw new IllegalArgumentException("class index " + classIndex[i] + " outside [0, " + classes + ")");
      }
      y[i * width + classIndex[i]] = 1f;
      if (q != null) {
        if (q.length != classIndex.length || q[i].length != classes) {
          throw new IllegalArgumentException("teacher probabilities must be " + classIndex.length + " rows of " + classes
              + ", were " + q.length + " rows of " + q[Math.min(i, q.length - 1)].length);
        }
        for (int c = 0; c < classes; c++) {
          y[i * width + classes + c] = (float) q[i][c];
        }
      }
    }
    return y;
  }

  /**
   * As {@link #fit}, on what this classifier's frozen part outputs for the images ({@link FrozenPrefix}, computed
   * elsewhere, e.g. by {@link FeatureExtractor}): only the trainable top runs. The same step as {@link #fit} on the
   * pixels, within float rounding. IllegalArgumentException when nothing is frozen or the shapes do not fit.
   */
  public double fitActivations(List<Activations> activations, int[] classIndex) {
    open();
    if (activations.size() != classIndex.length) {
      throw new IllegalArgumentException(activations.size() + " samples but " + classIndex.length + " labels");
    }
    float[] y = targets(classIndex, null);
    ComputationGraph t = top().graph();
    try (INDArray x = stack(activations); INDArray labels = Nd4j.create(y, new long[] {activations.size(), classes})) {
      threads(activations.size());
      t.fit(new DataSet(x, labels));
    }
    topAhead = true;
    return t.score();
  }

  /** As {@link #probabilities}, on the frozen part's outputs (see {@link #fitActivations}). */
  public double[][] probabilitiesOfActivations(List<Activations> activations) {
    open();
    ComputationGraph t = top().graph();
    try (INDArray x = stack(activations)) {
      threads(activations.size());
      try (INDArray out = t.outputSingle(false, x)) {
        double[][] rows = new double[activations.size()][];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = out.getRow(i).toDoubleVector();
        }
        return rows;
      }
    }
  }

  /** Name of the vertex whose output the trainable top takes (the frozen part's last vertex). */
  public String frozenCut() {
    open();
    return top().cut();
  }

  private TopGraph top() {
    if (top == null) {
      top = TopGraph.of(graph);
      topAhead = false;
    }
    return top;
  }

  // The whole graph becomes the one to train again: the top's progress is written into it and the top dropped.
  private void dropTop() {
    syncTop();
    if (top != null) {
      closeParams(top.graph());
      top = null;
    }
  }

  private void syncTop() {
    if (top != null && topAhead) {
      top.syncTo(graph, true);
      topAhead = false;
    }
  }

  private static INDArray stack(List<Activations> activations) {
    if (activations.isEmpty()) {
      throw new IllegalArgumentException("no samples");
    }
    List<Integer> shape = activations.get(0).shape();
    long[] dims = new long[shape.size() + 1];
    dims[0] = activations.size();
    for (int i = 0; i < shape.size(); i++) {
      dims[i + 1] = shape.get(i);
    }
    INDArray x = Nd4j.createUninitializedDetached(DataType.FLOAT, 'c', dims);
    FloatBuffer out = x.data().asNioFloat();
    int at = 0;
    for (Activations a : activations) {
      if (!a.shape().equals(shape)) {
        x.close();
        throw new IllegalArgumentException("activations of shapes " + shape + " and " + a.shape() + " in one batch");
      }
      out.put(at, a.values());
      at += a.values().length;
    }
    return x;
  }

  private static void closeParams(ComputationGraph g) {
    INDArray params = g.params();
    if (params != null && params.closeable()) {
      params.close();
    }
  }

  /** Class probabilities, one row per image (uint8 HWC RGB at the input size). */
  public double[][] probabilities(List<byte[]> pixels) {
    open();
    syncTop();
    try (INDArray x = encoder.encode(pixels)) {
      threads(pixels.size());
      try (INDArray out = graph.outputSingle(false, x)) {
        double[][] rows = new double[pixels.size()][];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = out.getRow(i).toDoubleVector();
        }
        return rows;
      }
    }
  }

  /**
   * Native (OpenMP) threads of this classifier's next {@link #fit} and {@link #probabilities} calls, on the calling
   * thread: {@code n ≥ 1} exactly, 0 chosen per call from the batch size ({@link CpuTuning#threadsForBatch}, the
   * default). Set it when two classifiers run at once on one machine (training beside evaluation), so that together
   * they use the cores once instead of spinning against each other. An explicit {@code OMP_NUM_THREADS} wins.
   */
  public void setNativeThreads(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("native threads must be >= 0, was " + n);
    }
    nativeThreads = n;
  }

  private void threads(int batch) {
    if (nativeThreads > 0 && System.getenv("OMP_NUM_THREADS") == null) {
      CpuTuning.setThreads(nativeThreads);
    } else {
      CpuTuning.threadsForBatch(batch); // leaves an explicit OMP_NUM_THREADS alone
    }
  }

  /**
   * Sets the learning rates in place, keeping the optimizer state: {@code headRate} for the head, {@code baseRate}
   * for fine-tuned base layers. Between {@link #fit} calls only.
   */
  public void setLearningRates(double headRate, double baseRate) {
    Models.setLearningRates(open(), headRate, baseRate);
    if (top != null) {
      Models.setLearningRates(top.graph(), headRate, baseRate);
    }
  }

  /**
   * Widens the head to {@code newClasses} outputs (a label set that grew): the existing classes keep their weights,
   * bias and optimizer state, so their predictions are unchanged until the next {@link #fit}; the new outputs start
   * from a fresh initialization. Throws IllegalArgumentException when {@code newClasses} is not more than
   * {@link #classes()} or the loss weights classes (it has no weight for a new one).
   */
  public void growHead(int newClasses) {
    open();
    dropTop();
    ComputationGraph old = graph;
    ComputationGraph grown = HeadGrowth.grow(old, Models.HEAD, newClasses);
    graph = grown;
    classes = newClasses;
    INDArray params = old.params();
    if (params != null && params.closeable()) {
      params.close();
    }
  }

  /** Names of the layers {@link #fit} updates, in graph order. */
  public List<String> trainableLayers() {
    return Models.trainableLayers(open());
  }

  /** The model as bytes ({@link Models#FORMAT}); with {@code withUpdater} the optimizer state too (checkpoints). */
  public byte[] toBytes(boolean withUpdater) {
    open();
    syncTop();
    return Models.toBytes(graph, withUpdater);
  }

  /** Number of parameters (0 for a graph without any). */
  public long parameterCount() {
    open();
    syncTop();
    INDArray p = graph.params();
    return p == null ? 0 : p.length();
  }

  /** Whether any parameter is NaN or infinite. */
  public boolean hasNonFiniteWeights() {
    open();
    syncTop();
    INDArray p = graph.params();
    return p != null && (BooleanIndexing.or(p, Conditions.isNan()) || BooleanIndexing.or(p, Conditions.isInfinite()));
  }

  /** Outputs (classes) of the head; -1 when a restored graph does not say. */
  public int classes() {
    return classes;
  }

  /** What this classifier takes (written into each version it is published as). */
  public InputContract contract() {
    return contract;
  }

  /**
   * A thread-safe {@link Predictor} over this model with {@code labels} (one per output) and {@code threads} OpenMP
   * threads per pass (0 = auto); the predictor takes the model over and this classifier is closed. Whether the
   * labels match the outputs is the caller's check (the serving verifier's smoke prediction).
   */
  public Predictor toPredictor(List<String> labels, int threads) {
    open();
    dropTop();
    ComputationGraph g = graph;
    graph = null;
    return new Predictor(g, labels, encoder.height(), encoder.width(), encoder.layout(), threads);
  }

  private ComputationGraph open() {
    if (graph == null) {
      throw new IllegalStateException("classifier closed");
    }
    return graph;
  }

  /** Frees the parameters (not {@code ComputationGraph.close()}, see {@link Predictor#close}). Idempotent. */
  @Override
  public void close() {
    if (top != null) {
      closeParams(top.graph());
      top = null;
    }
    if (graph != null) {
      closeParams(graph);
      graph = null;
    }
  }
}
