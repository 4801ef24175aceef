package dev.streamfit.engine;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * What of a classifier is trained and how: the head, the optimizer and its learning rate, how many of the
 * base's top blocks are fine-tuned (with their own learning rate) and optional class weights of the loss.
 * Immutable; validated on construction (errors name the key, the bound, the value and the flag).
 *
 * @param head the head on the base (inner dense layer, dropout)
 * @param optimizer Adam or SGD with Nesterov momentum
 * @param learningRate learning rate of the head, in (0, 1]; schedules scale it per step
 * @param momentum SGD momentum in [0, 1); ignored by Adam
 * @param trainableBlocks top blocks of the base trained too (0 = base frozen), at most the base's
 *     {@link BaseModel#maxTrainableBlocks()}
 * @param baseLearningRate learning rate of the fine-tuned blocks, in (0, 1] (used when {@code trainableBlocks > 0})
 * @param classWeights per-class weights of the cross-entropy loss in label order, each in (0, 100]; empty = all 1
 * @param distillation train on a teacher's soft targets too ({@link Classifier#fit(List, int[], double[][])}); null =
 *     the labels only. Excludes class weights.
 */
public record TrainingSpec(HeadSpec head, Optimizer optimizer, double learningRate, double momentum,
    int trainableBlocks, double baseLearningRate, List<Double> classWeights, Distillation distillation) {

  /** Optimizers the trainer offers. */
  public enum Optimizer {
    /** Adam (beta1 0.9, beta2 0.999), the seed's choice. */
    ADAM,
    /** Stochastic gradient descent with Nesterov momentum. */
    SGD;

    /** Parses {@code adam} or {@code sgd}; the error names the flag. */
    public static Optimizer parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "adam" -> ADAM;
        case "sgd" -> SGD;
        default -> throw new IllegalArgumentException("trainer.optimizer must be adam or sgd, was '" + s + "' (set --optimizer)");
      };
    }
  }

  public TrainingSpec {
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(optimizer, "optimizer");
    classWeights = List.copyOf(classWeights);
    check(learningRate, "trainer.learning-rate", "--learning-rate");
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("trainer.momentum must be in [0, 1), was " + momentum + " (set --momentum)");
    }
    if (trainableBlocks < 0) {
      throw new IllegalArgumentException("trainer.fine-tune-blocks must be >= 0, was " + trainableBlocks
          + " (set --fine-tune-blocks)");
    }
    check(baseLearningRate, "trainer.fine-tune-learning-rate", "--fine-tune-learning-rate");
    if (distillation != null && !classWeights.isEmpty()) {
      throw new IllegalArgumentException("trainer.class-weights and distillation exclude each other, had "
          + classWeights + " and " + distillation + " (drop --class-weights or --distill-from)");
    }
    for (double w : classWeights) {
      if (!(w > 0 && w <= 100)) {
        throw new IllegalArgumentException("trainer.class-weights must each be in (0, 100], was " + classWeights
            + " (set --class-weights)");
      }
    }
  }

  /** Without distillation. */
  public TrainingSpec(HeadSpec head, Optimizer optimizer, double learningRate, double momentum, int trainableBlocks,
      double baseLearningRate, List<Double> classWeights) {
    this(head, optimizer, learningRate, momentum, trainableBlocks, baseLearningRate, classWeights, null);
  }

  /** This spec with {@code d} (null: none). */
  public TrainingSpec withDistillation(Distillation d) {
    return new TrainingSpec(head, optimizer, learningRate, momentum, trainableBlocks, baseLearningRate, classWeights, d);
  }

  private static void check(double lr, String key, String flag) {
    if (!(lr > 0 && lr <= 1)) {
      throw new IllegalArgumentException(key + " must be in (0, 1], was " + lr + " (set " + flag + ")");
    }
  }

  /** Adam at {@code learningRate}, base frozen, no class weights. */
  public static TrainingSpec adam(HeadSpec head, double learningRate) {
    return new TrainingSpec(head, Optimizer.ADAM, learningRate, 0.9, 0, learningRate, List.of());
  }

  /** Checks this spec against a base and a label set; the error names the flag. */
  public void validateFor(BaseModel base, int labels) {
    if (trainableBlocks > base.maxTrainableBlocks()) {
      throw new IllegalArgumentException("trainer.fine-tune-blocks must be in [0, " + base.maxTrainableBlocks()
          + "] for " + base.id() + ", was " + trainableBlocks + " (set --fine-tune-blocks)");
    }
    if (!classWeights.isEmpty() && classWeights.size() != labels) {
      throw new IllegalArgumentException("trainer.class-weights must have one weight per label (" + labels
          + "), had " + classWeights.size() + " (set --class-weights)");
    }
  }

  /** A fresh updater configuration at learning rate {@code lr}. */
  public IUpdater updater(double lr) {
    return optimizer == Optimizer.ADAM ? new Adam(lr) : new Nesterovs(lr, momentum);
  }

  /** Name of the last frozen vertex of {@code base}. */
  public String frozenUpTo(BaseModel base) {
    return FrozenPrefix.cutOf(base, trainableBlocks);
  }

  /** Short description for provenance, e.g. {@code adam(lr=0.005)} or {@code sgd(lr=0.01,m=0.9)}. */
  public String describeOptimizer() {
    return optimizer == Optimizer.ADAM ? "adam(lr=" + learningRate + ")"
        : "sgd(lr=" + learningRate + ",nesterov-momentum=" + momentum + ")";
  }
}
