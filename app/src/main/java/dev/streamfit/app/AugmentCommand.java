package dev.streamfit.app;

import dev.streamfit.augment.AugmentStage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code streamfit augment}: run the augment stage until interrupted. */
@Command(name = "augment", mixinStandardHelpOptions = true, subcommands = {AugmentPreviewCommand.class},
    description = "Run the augment stage (Kafka Streams, exactly-once) images.raw → images.augmented until interrupted.")
public final class AugmentCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  StageOptions stage;

  @Override
  public Integer call() throws Exception {
    AugmentStage s = AugmentStage.start(Configs.augment(kafka.bootstrapOrDefault(), kafka.topics(), stage,
        stage.workDir.resolve("kafka-streams")));
    Shutdown.awaitSignal(s);
    return 0;
  }
}
