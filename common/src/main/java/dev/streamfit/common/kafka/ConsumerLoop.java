package dev.streamfit.common.kafka;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon thread that owns one Kafka consumer and loops while {@link #running()}. {@link #close} stops it:
 * clears the flag, wakes the consumer out of {@code poll}, and waits for the thread (15 s at most). An exception out
 * of {@link #run()} ends the loop and is logged at ERROR. Thread-safe.
 */
public abstract class ConsumerLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsumerLoop.class);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile KafkaConsumer<?, ?> consumer;

  /** A loop on a daemon thread named {@code threadName}, started by {@link #start()}. */
  protected ConsumerLoop(String threadName) {
    this.thread = new Thread(this::loop, threadName);
    this.thread.setDaemon(true);
  }

  /** Starts the thread; call once. */
  public void start() {
    thread.start();
  }

  /** False once {@link #close} was called. */
  protected final boolean running() {
    return running;
  }

  /** Registers the consumer the loop polls, so {@link #close} can wake it. */
  protected final void own(KafkaConsumer<?, ?> c) {
    consumer = c;
  }

  /** The loop: create the consumer, {@link #own} it, poll while {@link #running()}, close it. */
  protected abstract void run() throws Exception;

  private void loop() {
    try {
      run();
    } catch (WakeupException e) {
      // closing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.error("{} stopped", thread.getName(), e);
    }
  }

  @Override
  public void close() {
    running = false;
    KafkaConsumer<?, ?> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(15_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
