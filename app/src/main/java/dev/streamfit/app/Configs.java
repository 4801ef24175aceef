package dev.streamfit.app;

import dev.streamfit.augment.AugmentConfig;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ServingConfig;
import dev.streamfit.trainer.TrainerConfig;
import java.nio.file.Path;

/** Builds each stage's typed config from CLI options, so demo and stage commands agree. */
final class Configs {
  private Configs() {}

  static AugmentConfig augment(String bootstrap, Topics topics, StageOptions o, Path stateDir) {
    return new AugmentConfig(bootstrap, "streamfit-augment", topics, o.imageSize, o.epochs, o.seed, o.spec(),
        DecodeLimits.defaults(), 2, stateDir);
  }

  static TrainerConfig trainer(String bootstrap, Topics topics, StageOptions o, Path checkpointDir) {
    return new TrainerConfig(bootstrap, topics, "streamfit-trainer", checkpointDir, "clothing",
        TrainerConfig.CLOTHING_LABELS, BaseModel.fromId(o.base), o.imageSize, o.learningRate, o.batchSize, o.seed,
        o.publishIdleMs, o.publishEverySteps, new HeadSpec(o.innerSize, o.dropout),
        o.shuffleBuffer);
  }

  static ServingConfig serving(String bootstrap, Topics topics, String host, int port) {
    ServingConfig d = ServingConfig.defaults(bootstrap, topics, port);
    return new ServingConfig(bootstrap, topics, host, port, d.defaultTopK(), d.maxBodyBytes(), d.limits(), d.httpThreads());
  }
}
