"""The call-centre operator's console: a phone call becomes a request.

The operator picks the category and the place (on the map or typed), and
before saving sees who will own the request and why, any emergency line to
give the caller, and the open requests of the same category nearby. The
call is then saved as a new request, or the caller is attached to one of
those open requests. Information calls are answered on the phone and stored
closed. Users with the ``enter_call`` permission only (operators and
coordinators); views in ``views``, what a call does in ``calls``.
"""
