package dev.streamfit.pipeline;

import picocli.CommandLine.Mixin;

/** Everything the all-in-one demo takes: common, augment and trainer options. */
public final class StageOptions {
  @Mixin
  public CommonOptions common = new CommonOptions();

  @Mixin
  public AugmentOptions augment = new AugmentOptions();

  @Mixin
  public TrainerOptions trainer = new TrainerOptions();

  @Mixin
  public FeaturesOptions features = new FeaturesOptions();
}
