package dev.streamfit.app;

import dev.streamfit.broker.EmbeddedKafkaBroker;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code streamfit broker}: a single-node KRaft broker for running the stages as separate processes. */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "Run a single-node Kafka (KRaft) broker on 127.0.0.1 until interrupted (fresh storage each run).")
public final class BrokerCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "9092", description = "Client port (default ${DEFAULT-VALUE}).")
  int port;

  @Override
  public Integer call() throws Exception {
    EmbeddedKafkaBroker b = EmbeddedKafkaBroker.start(port, Map.of());
    System.out.println("broker up: --bootstrap-servers " + b.bootstrapServers());
    Shutdown.awaitSignal(b);
    return 0;
  }
}
