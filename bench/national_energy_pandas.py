def pandas_pipeline(*a): raise NotImplementedError
