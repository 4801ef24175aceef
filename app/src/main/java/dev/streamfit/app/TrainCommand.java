package dev.streamfit.app;

import dev.streamfit.trainer.TrainerStage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code streamfit train}: run the trainer until interrupted. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Run the trainer: images.augmented → checkpoints → models, until interrupted.")
public final class TrainCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  CommonOptions common;

  @Mixin
  TrainerOptions trainer;

  @Override
  public Integer call() throws Exception {
    TrainerStage t = TrainerStage.start(Configs.trainer(kafka.bootstrapOrDefault(), kafka.topics(), common, trainer,
        common.workDir.resolve("checkpoints")));
    Shutdown.awaitSignal(t);
    return 0;
  }
}
