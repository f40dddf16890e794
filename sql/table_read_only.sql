-- Reading a table source: nothing it runs may write (a --query is the user's SQL).
SET TRANSACTION READ ONLY;
