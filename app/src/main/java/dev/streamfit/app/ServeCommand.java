package dev.streamfit.app;

import dev.streamfit.pipeline.Configs;
import dev.streamfit.pipeline.KafkaOptions;
import dev.streamfit.pipeline.ServingOptions;
import dev.streamfit.pipeline.Shutdown;
import dev.streamfit.serving.ServingStage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code streamfit serve}: follow the models topic and answer HTTP predictions until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serve the newest verified model version from the models topic over HTTP (and the inference.requests "
        + "topic) until interrupted.", "Environment: STREAMFIT_API_TOKEN (bearer token for /v1/*), STREAMFIT_ADMIN_TOKEN "
        + "(admin calls such as rollback; loopback clients need none only with --admin-loopback)."})
public final class ServeCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  ServingOptions serving;

  @Override
  public Integer call() throws Exception {
    ServingStage s = ServingStage.start(Configs.serving(kafka.bootstrapOrDefault(), kafka.topics(), serving));
    Shutdown.awaitSignal(s);
    return 0;
  }
}
