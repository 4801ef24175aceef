package dev.streamfit.pipeline;

import dev.streamfit.augment.AugmentConfig;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.Distillation;
import dev.streamfit.engine.FrozenPrefix;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.engine.ScratchShape;
import dev.streamfit.engine.TrainingSpec;
import dev.streamfit.features.FeaturesConfig;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.FeedbackPolicy;
import dev.streamfit.serving.RolloutPolicy;
import dev.streamfit.serving.ServingConfig;
import dev.streamfit.trainer.LrSchedule;
import dev.streamfit.trainer.TrainerConfig;
import dev.streamfit.trainer.TrainerPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Builds each stage's typed config from CLI options, so demo and stage commands agree. */
public final class Configs {
  private Configs() {}

  public static AugmentConfig augment(String bootstrap, Topics topics, CommonOptions c, AugmentOptions o, Path stateDir,
      DecodeLimits limits) {
    // One application id per topic namespace: pipelines sharing a cluster under different prefixes must not
    // share a consumer group (or transactional ids).
    String appId = topics.prefix().isEmpty() ? "streamfit-augment" : topics.prefix() + "streamfit-augment";
    return new AugmentConfig(bootstrap, appId, topics, c.imageSize, o.epochs, c.seed, o.spec(),
        limits, 2, stateDir, AugmentConfig.EpochMode.parse(o.epochMode), o.instanceId);
  }

  public static FeaturesConfig features(String bootstrap, Topics topics,
      FrozenPrefix prefix, FeaturesOptions o, Path stateDir, String instanceId) {
    String appId = topics.prefix().isEmpty() ? "streamfit-features" : topics.prefix() + "streamfit-features";
    return new FeaturesConfig(bootstrap, appId, topics, prefix, o.threads(), stateDir, instanceId);
  }

  public static TrainerConfig trainer(String bootstrap, Topics topics, CommonOptions c, TrainerOptions o, Path checkpointDir,
      String modelName, List<String> labels) {
    return trainer(bootstrap, topics, c, o, checkpointDir, modelName, labels, false);
  }

  /**
   * The trainer's config; {@code continuous} (one augmented variant per image: no fixed epochs) turns rehearsal on
   * unless {@code --replay-ratio} is given.
   */
  public static TrainerConfig trainer(String bootstrap, Topics topics, CommonOptions c, TrainerOptions o, Path checkpointDir,
      String modelName, List<String> labels, boolean continuous) {
    double ratio = o.replayRatio != null ? o.replayRatio : o.growLabels || continuous ? 2.0 : 0.0;
    TrainerConfig t = new TrainerConfig(bootstrap, topics, topics.prefix() + "streamfit-trainer", checkpointDir, modelName,
        labels, BaseModel.fromId(o.base), c.imageSize,
        new TrainingSpec(new HeadSpec(o.innerSize, o.dropout), TrainingSpec.Optimizer.parse(o.optimizer), o.learningRate,
            o.momentum, o.fineTuneBlocks, o.fineTuneLearningRate, o.classWeights),
        new LrSchedule(LrSchedule.parseKind(o.lrSchedule), o.lrScheduleSteps, o.lrGamma, o.lrMinFactor),
        o.batchSize, c.seed, o.shuffleBuffer,
        new TrainerPolicy(o.evalIdleMs, o.evalEverySteps, o.checkpointEverySteps, o.checkpointEverySeconds,
            o.keepCheckpoints, o.publishMargin, o.earlyStopPatience, Math.round(o.publishInterval * 1000),
            o.significance, o.driftThreshold), o.growLabels,
        new TrainerConfig.Rehearsal(ratio, o.replayPerClass, o.replaySpec()),
        new ScratchShape(o.scratchWidth, o.scratchBlocks),
        new TrainerConfig.Windows(o.windowPerClass, o.windowMaxMb << 20), o.input());
    int side = o.sampleSize != null ? o.sampleSize : c.imageSize;
    return o.distillFrom == null ? t.withTeacher(null, null, side) : t.withTeacher(
        TrainerConfig.Teacher.parse(o.distillFrom), new Distillation(o.distillTemperature, o.distillWeight), side);
  }

  public static ServingConfig serving(String bootstrap, Topics topics, ServingOptions o) {
    return new ServingConfig(bootstrap, topics, o.modelName, o.host, o.port, o.topK, o.maxBodyBytes,
        o.decode.limits(), o.httpThreads, o.maxInFlight, o.maxBatch, Duration.ofMillis(o.batchLingerMs),
        o.inferenceWorkers == 0 ? Math.min(16, Runtime.getRuntime().availableProcessors()) : o.inferenceWorkers,
        env("STREAMFIT_API_TOKEN"), env("STREAMFIT_ADMIN_TOKEN"), !o.noTopicInference,
        topics.prefix() + "streamfit-serving", o.recentPredictions, o.http.limits(), o.adminLoopback, o.moreModels,
        new RolloutPolicy(RolloutPolicy.Mode.parse(o.rollout), o.canaryShare,
            o.canaryPromoteAfter, o.canaryErrorMargin, o.canaryLatencyRatio, o.canaryAccuracyMargin, o.minFeedback,
            o.rollbackWindow, o.rollbackThreshold),
        new FeedbackPolicy(o.feedbackRemembered, o.feedbackImageMb << 20,
            Duration.ofSeconds(o.feedbackRetentionS), o.feedbackRate, o.feedbackBurst, !o.noFeedbackCorrections));
  }

  private static String env(String name) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? null : v;
  }
}
