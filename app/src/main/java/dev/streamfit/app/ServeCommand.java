package dev.streamfit.app;

import dev.streamfit.serving.ServingStage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfit serve}: follow the models topic and answer HTTP predictions until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve the newest model version from the models topic over HTTP until interrupted.")
public final class ServeCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default ${DEFAULT-VALUE}).")
  int port;

  @Override
  public Integer call() throws Exception {
    ServingStage s = ServingStage.start(Configs.serving(kafka.bootstrapOrDefault(), kafka.topics(), host, port));
    Shutdown.awaitSignal(s);
    return 0;
  }
}
