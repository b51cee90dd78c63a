def navigation(request):
    """Which side of the platform the user belongs to, for the base layout's menus."""
    user = getattr(request, "user", None)
    is_staff_user = bool(user and user.is_authenticated and user.is_procurement_staff)
    return {"is_buyer_staff": is_staff_user}
