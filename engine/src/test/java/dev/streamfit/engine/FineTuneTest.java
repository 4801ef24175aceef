package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Fine-tuning the top blocks of the optimized base: what trains, what stays frozen, per-group learning rates. */
class FineTuneTest {
  static final List<String> LABELS = TrainingEquivalenceTest.LABELS;
  static ComputationGraph base;

  @BeforeAll
  static void importBase() {
    base = Models.optimizedBase(BaseModel.MOBILENET_V1_075, 96);
  }

  static DataSet batch(long seed) {
    Nd4j.getRandom().setSeed(seed);
    INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 3, 96, 96).muli(2).subi(1);
    INDArray y = Nd4j.zeros(8, LABELS.size());
    for (int i = 0; i < 8; i++) {
      y.putScalar(i, i % LABELS.size(), 1);
    }
    return new DataSet(x, y);
  }

  static TrainingSpec spec(TrainingSpec.Optimizer opt, int blocks, List<Double> weights) {
    return new TrainingSpec(HeadSpec.SOFTMAX, opt, 1e-2, 0.9, blocks, 1e-3, weights);
  }

  @Test
  void topTwoBlocksTrainAndTheRestStaysFrozen() {
    ComputationGraph g = Models.classifierOn(base, BaseModel.MOBILENET_V1_075, spec(TrainingSpec.Optimizer.ADAM, 2, List.of()),
        LABELS, 7);
    assertThat(Models.trainableLayers(g)).containsExactly("conv_dw_12", "conv_pw_12", "conv_dw_13", "conv_pw_13", "head");
    INDArray pw11 = g.getLayer("conv_pw_11").getParam("W").dup();
    INDArray pw13 = g.getLayer("conv_pw_13").getParam("W").dup();
    INDArray head = g.getLayer("head").getParam("W").dup();
    g.fit(batch(1));
    assertThat(g.getLayer("conv_pw_11").getParam("W")).isEqualTo(pw11);
    assertThat(g.getLayer("conv_pw_13").getParam("W")).isNotEqualTo(pw13);
    assertThat(g.getLayer("head").getParam("W")).isNotEqualTo(head);
  }

  @Test
  void learningRatesChangeInPlaceKeepingUpdaterState() {
    for (TrainingSpec.Optimizer opt : TrainingSpec.Optimizer.values()) {
      // momentum 0: with Nesterov momentum the velocity alone keeps moving the weights, whatever the rate
      TrainingSpec s = new TrainingSpec(HeadSpec.SOFTMAX, opt, 1e-2, 0.0, 1, 1e-3, List.of());
      ComputationGraph g = Models.classifierOn(base, BaseModel.MOBILENET_V1_075, s, LABELS, 7);
      g.fit(batch(1));
      INDArray state = g.getUpdater().getStateViewArray().dup();
      Models.setLearningRates(g, 1e-2, 1e-30); // base blocks effectively stopped, head still learning
      INDArray pw13 = g.getLayer("conv_pw_13").getParam("W").dup();
      INDArray head = g.getLayer("head").getParam("W").dup();
      g.fit(batch(2));
      assertThat(g.getUpdater().getStateViewArray().length()).isEqualTo(state.length());
      double baseMove = g.getLayer("conv_pw_13").getParam("W").sub(pw13).amaxNumber().doubleValue();
      double headMove = g.getLayer("head").getParam("W").sub(head).amaxNumber().doubleValue();
      assertThat(baseMove).as(opt + " base").isLessThan(1e-12);
      assertThat(headMove).as(opt + " head").isGreaterThan(1e-5);
    }
  }

  @Test
  void classWeightsScaleTheLoss() {
    List<Double> ones = java.util.Collections.nCopies(LABELS.size(), 1.0);
    List<Double> twos = java.util.Collections.nCopies(LABELS.size(), 2.0);
    ComputationGraph a = Models.classifierOn(base, BaseModel.MOBILENET_V1_075, spec(TrainingSpec.Optimizer.SGD, 0, ones), LABELS, 7);
    ComputationGraph b = Models.classifierOn(base, BaseModel.MOBILENET_V1_075, spec(TrainingSpec.Optimizer.SGD, 0, twos), LABELS, 7);
    DataSet d = batch(3);
    assertThat(b.score(d)).isCloseTo(2 * a.score(d), org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void specErrorsNameTheFlag() {
    TrainingSpec tooMany = spec(TrainingSpec.Optimizer.ADAM, 14, List.of());
    assertThatThrownBy(() -> tooMany.validateFor(BaseModel.MOBILENET_V1_075, 10))
        .hasMessage("trainer.fine-tune-blocks must be in [0, 13] for mobilenet-v1-0.75, was 14 (set --fine-tune-blocks)");
    assertThatThrownBy(() -> spec(TrainingSpec.Optimizer.ADAM, 0, List.of(1.0)).validateFor(BaseModel.MOBILENET_V1_075, 10))
        .hasMessage("trainer.class-weights must have one weight per label (10), had 1 (set --class-weights)");
    assertThatThrownBy(() -> new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.SGD, 0.1, 1.0, 0, 0.1, List.of()))
        .hasMessage("trainer.momentum must be in [0, 1), was 1.0 (set --momentum)");
    assertThatThrownBy(() -> TrainingSpec.Optimizer.parse("rmsprop"))
        .hasMessage("trainer.optimizer must be adam or sgd, was 'rmsprop' (set --optimizer)");
  }

  @Test
  void aFineTunedTransferHeadGrowsKeepingFrozenLayersFrozen() {
    ComputationGraph g = Models.classifierOn(base, BaseModel.MOBILENET_V1_075, spec(TrainingSpec.Optimizer.ADAM, 1, List.of()),
        LABELS, 7);
    g.fit(batch(1));
    DataSet probe = batch(4);
    INDArray before = g.outputSingle(false, probe.getFeatures());
    double stateL1 = g.getUpdater().getStateViewArray().norm1Number().doubleValue();

    ComputationGraph grown = dev.streamfit.engine.internal.HeadGrowth.grow(g, Models.HEAD, LABELS.size() + 2);

    assertThat(Models.trainableLayers(grown)).isEqualTo(Models.trainableLayers(g));
    INDArray after = grown.outputSingle(false, probe.getFeatures());
    assertThat(after.columns()).isEqualTo(LABELS.size() + 2);
    INDArray old = after.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, LABELS.size()));
    INDArray renormalised = old.divColumnVector(old.sum(1).reshape(old.rows(), 1));
    assertThat(renormalised.sub(before).amaxNumber().doubleValue()).isLessThan(1e-4);
    assertThat(grown.getUpdater().getStateViewArray().norm1Number().doubleValue())
        .isCloseTo(stateL1, org.assertj.core.data.Offset.offset(1e-5 * stateL1));
    INDArray frozen = grown.getLayer("conv_pw_11").getParam("W").dup();
    INDArray y = Nd4j.zeros(8, LABELS.size() + 2);
    for (int i = 0; i < 8; i++) {
      y.putScalar(i, LABELS.size() + i % 2, 1);
    }
    grown.fit(new DataSet(probe.getFeatures(), y));
    assertThat(grown.getLayer("conv_pw_11").getParam("W")).isEqualTo(frozen);
    assertThat(Double.isFinite(grown.score())).isTrue();
  }
}
