package dev.streamfit.engine.internal;

import java.util.Arrays;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The distillation loss of {@code dev.streamfit.engine.Distillation} over a softmax output of {@code C} classes. Its
 * labels are {@code [n, 2C]}: the one-hot label, then the teacher's probabilities already softened at the temperature.
 * The output layer's activation must be softmax; this loss computes it from the pre-activations itself (at 1 and at
 * {@code T}). Kept in the model's configuration (serialized by DL4J's Jackson mapper: the annotated fields and the
 * no-argument constructor), so a checkpoint resumes with it; prediction never calls it. Stateless apart from its two parameters.
 */
public final class DistillationLoss implements ILossFunction {
  private static final long serialVersionUID = 1L;
  @JsonProperty("temperature")
  private double temperature;
  @JsonProperty("weight")
  private double weight;

  /** For deserialization. */
  public DistillationLoss() {
    this(1, 0);
  }

  public DistillationLoss(double temperature, double weight) {
    this.temperature = temperature;
    this.weight = weight;
  }

  public double temperature() {
    return temperature;
  }

  public double weight() {
    return weight;
  }

  // The student's logits (in the labels' type), the one-hot labels and the softened teacher, as views of the labels.
  private record Parts(INDArray z, INDArray y, INDArray q) {}

  private Parts parts(INDArray labels, INDArray preOutput) {
    long c = classes(labels, preOutput);
    return new Parts(preOutput.castTo(labels.dataType()), labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)),
        labels.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c)));
  }

  private static long classes(INDArray labels, INDArray preOutput) {
    long c = preOutput.size(1);
    if (labels.rank() != 2 || labels.size(1) != 2 * c || labels.size(0) != preOutput.size(0)) {
      throw new IllegalArgumentException("distillation labels must be [n, 2 × " + c + "] (label, softened teacher), were "
          + Arrays.toString(labels.shape()) + " for outputs " + Arrays.toString(preOutput.shape()));
    }
    return c;
  }

  private static INDArray logSoftmax(INDArray z) {
    INDArray shifted = z.subColumnVector(z.max(1));
    INDArray lse = Transforms.log(Transforms.exp(shifted, true).sum(1), false);
    return shifted.subiColumnVector(lse);
  }

  @Override
  public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    Parts x = parts(labels, preOutput);
    INDArray z = x.z();
    INDArray q = x.q();
    INDArray hard = x.y().mul(logSoftmax(z)).sum(1).negi();
    // KL(q ‖ p_T) rather than the cross-entropy: the same gradient, and 0 when the student matches the teacher.
    INDArray logQ = Transforms.log(Transforms.max(q, 1e-30, true), false);
    INDArray soft = q.mul(logQ.subi(logSoftmax(z.div(temperature)))).sum(1).muli(temperature * temperature);
    INDArray score = hard.muli(1 - weight).addi(soft.muli(weight)).reshape(z.size(0), 1);
    if (mask != null) {
      score.muliColumnVector(mask.reshape(mask.length(), 1).castTo(score.dataType()));
    }
    return score;
  }

  @Override
  public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
      boolean average) {
    INDArray s = computeScoreArray(labels, preOutput, activationFn, mask);
    double sum = s.sumNumber().doubleValue();
    return average ? sum / s.size(0) : sum;
  }

  @Override
  public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    Parts x = parts(labels, preOutput);
    INDArray p = Transforms.exp(logSoftmax(x.z()), false);
    INDArray pt = Transforms.exp(logSoftmax(x.z().div(temperature)), false);
    INDArray grad = p.subi(x.y()).muli(1 - weight).addi(pt.subi(x.q()).muli(weight * temperature));
    if (mask != null) {
      grad.muliColumnVector(mask.reshape(mask.length(), 1).castTo(grad.dataType()));
    }
    return grad.castTo(preOutput.dataType());
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
      INDArray mask, boolean average) {
    return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return "distillation(T=" + temperature + ",weight=" + weight + ")";
  }

  @Override
  public String toString() {
    return name();
  }
}
