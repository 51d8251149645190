from ninja import Router

router = Router(tags=["宣传"])
