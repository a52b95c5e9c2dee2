from django.urls import URLPattern, path

from . import board_views

urlpatterns: list[URLPattern] = [
    path("board/", board_views.board, name="board"),
    path("board/move/", board_views.board_move, name="board_move"),
    path("board/close/", board_views.board_close, name="board_close"),
]
