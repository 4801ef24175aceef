package dev.streamfit.app;

import picocli.CommandLine.Mixin;

/** Everything the all-in-one demo takes: common, augment and trainer options. */
public final class StageOptions {
  @Mixin
  CommonOptions common = new CommonOptions();

  @Mixin
  AugmentOptions augment = new AugmentOptions();

  @Mixin
  TrainerOptions trainer = new TrainerOptions();

  @Mixin
  FeaturesOptions features = new FeaturesOptions();
}
