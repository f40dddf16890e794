-- `ingest --follow`: the trigger NOTIFYs on the queue's name after every change.
LISTEN {channel};
