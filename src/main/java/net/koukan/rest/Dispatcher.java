package net.koukan.rest;

import net.koukan.storage.TxRow;

/**
 * Receives transactions created over REST. A dispatcher that does cut-through delivery wants them
 * created leased to this process so it can start an attempt at once.
 */
public interface Dispatcher {
  boolean cutThrough();

  void created(TxRow row);

  /** Stores only; the dequeue loop (or nothing) picks transactions up later. */
  Dispatcher NONE = new Dispatcher() {
    @Override
    public boolean cutThrough() {
      return false;
    }

    @Override
    public void created(TxRow row) {}
  };
}
